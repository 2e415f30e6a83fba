"""Pictures of gradient descent: graphs, surfaces, races, animations, curves and landscapes.

``LivePlot`` and ``TerminalChart`` are ``fit`` callbacks that redraw the training curves.

Every picture is drawn headless (matplotlib's Agg canvas, no ``pyplot``), returns its matplotlib
``Figure`` and saves to PNG/SVG when given a path; animations save to GIF (MP4 with ffmpeg).
matplotlib is imported only when a picture is made (``pip install "descend[viz]"``).

>>> import descend as dc
>>> v = dc.tensor(0.0, requires_grad=True, name="v")
>>> "grad -20" in dc.viz.draw_graph((v * 2.0 - 5.0) ** 2)
True
"""

from descend.autograd.trace import Trace, trace, trace_backward
from descend.viz.animate import animate_race, race_frames
from descend.viz.calculus import plot_secant, plot_taylor
from descend.viz.gradients import plot_gradients
from descend.viz.graph import DotGraph, draw_graph, to_dot
from descend.viz.history import plot_history, text_chart
from descend.viz.lab_plots import plot_landscape, plot_lr_find, plot_momentum_lab
from descend.viz.live import LivePlot, TerminalChart
from descend.viz.slope import plot_slope
from descend.viz.surface import plot_contour, plot_race, plot_race_grid, plot_surface_3d

__all__ = [
    "DotGraph", "LivePlot", "TerminalChart", "Trace", "animate_race", "draw_graph",
    "plot_contour", "plot_gradients", "plot_history", "plot_landscape", "plot_lr_find",
    "plot_momentum_lab", "plot_race", "plot_race_grid", "plot_secant", "plot_slope",
    "plot_surface_3d", "plot_taylor", "race_frames", "text_chart", "to_dot", "trace",
    "trace_backward",
]
