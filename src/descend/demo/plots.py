"""The demos' learning curves, drawn with :func:`descend.viz.plot_history` (needs matplotlib).

Both functions take what a demo's ``run`` returned and a path (``.png``, ``.svg`` or ``.pdf``),
save the picture and return the matplotlib ``Figure``.
"""

from __future__ import annotations

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
