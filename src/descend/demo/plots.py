"""The demos' learning curves, drawn with :func:`descend.viz.plot_history` (needs matplotlib).

Both functions take what a demo's ``run`` returned and a path (``.png``, ``.svg`` or ``.pdf``),
save the picture and return the matplotlib ``Figure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from descend import viz
from descend.paths import output_file
from descend.viz._figure import require, save

SUFFIXES = (".png", ".svg", ".pdf")

if TYPE_CHECKING:
    from descend.demo.boston import BostonResult
    from descend.demo.mnist import MnistResult


def check_plot_path(path: Any, where: str) -> None:
    """Fail before training, not after, if ``path`` cannot be drawn to: a suffix other than
    ``.png``, ``.svg`` or ``.pdf``, or matplotlib not installed.

    >>> check_plot_path("curves.gif", "demo boston")
    Traceback (most recent call last):
    ...
    ValueError: demo boston: --plot needs a file name ending in .png, .svg or .pdf, got 'curves.gif'
    """
    if not str(path).lower().endswith(SUFFIXES):
        raise ValueError(f"{where}: --plot needs a file name ending in .png, .svg or .pdf, got "
                         f"{str(path)!r}")
    output_file(path, f"{where} --plot", example="curves.png")
    require("matplotlib", f"{where} --plot")


def boston_curves(result: BostonResult, path: Any) -> Any:
    """Training (solid) and validation (dashed) loss per epoch, one panel per model.

    A dotted black line marks each model's test MSE and a grey one the baseline's; the y axis
    is logarithmic and the same in every panel.

    >>> import tempfile, pathlib
    >>> from descend.demo import boston
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "curves.png"
    >>> fig = boston_curves(boston.run(["linear", "mlp1"], epochs=3), path)
    >>> [ax.get_title() for ax in fig.axes], path.exists()
    (['linear regression', 'MLP 50 sigmoid'], True)
    """
    curves: dict[str, list[float]] = {}
    for m in result.models.values():
        curves[m.name] = m.history.history["loss"]
        curves[f"val_{m.name}"] = m.history.history["val_loss"]
    lr = result.settings["lr"]
    fig = viz.plot_history(curves, log_scale=True, title=(
        f"Boston Housing: loss (MSE, $1000s²) per epoch; {result.settings['optimizer']}, "
        f"{'default lr' if lr is None else f'lr {lr:g}'}, batch {result.settings['batch_size']}"))
    baseline = result.baseline["test"].mse
    values = [v for series in curves.values() for v in series] + [baseline]
    for ax, m in zip(fig.axes, result.models.values()):
        ax.axhline(m.scores["test"].mse, linestyle=":", color="black", linewidth=1.2,
                   label=f"test {m.scores['test'].mse:.1f}")
        ax.axhline(baseline, linestyle=":", color="grey", linewidth=1.2,
                   label=f"baseline test {baseline:.1f}")
        ax.set_ylim(min(values) * 0.8, max(values) * 1.25)
        ax.set_ylabel("MSE")
        ax.legend(fontsize=8)
    return save(fig, path)


def mnist_curves(result: MnistResult, path: Any) -> Any:
    """Loss and accuracy per epoch, training (solid) against validation (dashed).

    >>> from descend.demo import mnist
    >>> fig = mnist_curves(mnist.run(epochs=2, limit=1000), "mnist.png")  # doctest: +SKIP
    >>> [ax.get_title() for ax in fig.axes]  # doctest: +SKIP
    ['loss', 'accuracy']
    """
    fig = viz.plot_history(result.history, metrics=["loss", "accuracy"], title=(
        f"MNIST, 784-256-10 ReLU, Adam lr {result.settings['lr']:g}: test accuracy "
        f"{100 * result.test_accuracy:.2f} %"))
    return save(fig, path)


def whatif_curves(results: Mapping[str, BostonResult], path: Any = None) -> Any:
    """Train (solid) and validation (dashed) loss per epoch, one panel per setting, side by side.

    Every panel shares one logarithmic y axis, so a setting that overfits (validation rising
    above training), trains slowly or diverges (marked, its curve ends where the loss stopped
    being finite) stands out next to the recipe.

    >>> from descend.demo.compare import compare
    >>> from descend.demo.whatif import WhatIf
    >>> fig = whatif_curves(compare({"recipe": WhatIf(), "L2 1": WhatIf(l2=1.0)},
    ...                             model="linear", epochs=3))
    >>> [ax.get_title() for ax in fig.axes]
    ['recipe', 'L2 1']
    """
    import numpy as np

    from descend.viz._figure import colors, new_figure

    if not results:
        raise ValueError("whatif_curves: no results to draw")
    fig = new_figure(4.2 * len(results) + 0.4, 3.8, what="whatif_curves")
    axes = fig.subplots(1, len(results), sharey=True, squeeze=False)[0]
    finite = []
    for ax, (label, result) in zip(axes, results.items()):
        for color, m in zip(colors(len(result.models)), result.models.values()):
            for key, style, kind in (("loss", "-", "train"), ("val_loss", "--", "val")):
                values = np.asarray(m.history.history[key], dtype=np.float64)
                ok = np.isfinite(values) & (values < 1e12)
                cut = int(np.argmin(ok)) if not ok.all() else len(values)
                ax.plot(np.arange(1, cut + 1), values[:cut], style, color=color,
                        label=f"{m.name} {kind}")
                finite.extend(values[:cut])
            test = m.scores["test"].mse
            if not np.isfinite(test) or test > 1e12:
                ax.text(0.5, 0.5, f"{m.name}:\nthe loss overflowed in epoch {cut + 1}",
                        transform=ax.transAxes, ha="center", color=color, fontsize=10,
                        fontweight="bold")
            else:
                ax.axhline(test, linestyle=":", color=color, linewidth=1.0,
                           label=f"{m.name} test {test:.1f}")
        ax.set_yscale("log")
        ax.set_xlim(0, len(m.history.history["loss"]) + 1)
        ax.set_title(label)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("MSE ($1000s²)")
    if finite:
        axes[0].set_ylim(max(min(finite) * 0.8, 1e-3), max(finite) * 1.25)
    return save(fig, path)
