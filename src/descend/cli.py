"""The ``descend`` command: ``descend lab ...`` and ``descend explain ...``.

Each group of subcommands is added by one ``add_*_parser(subcommands)`` function listed in
:data:`SUBCOMMANDS`; a subcommand stores its handler as ``run`` (``args.run(args)`` returns the
exit status), so a new group (``demo``, ``bench``) is one more function in that list.

>>> main(["explain", "w * x", "w=3", "x=2"])   # doctest: +ELLIPSIS
Forward pass: each value from its inputs
...
Gradients: dL/dw = 2, dL/dx = 3
0
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Callable, Sequence
from typing import Any


def _floats(text: str, what: str, count: int | None = None) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what}: expected comma-separated numbers, got "
                                         f"{text!r}") from None
    if count is not None and len(values) != count:
        raise argparse.ArgumentTypeError(f"{what}: expected {count} numbers, got {text!r}")
    return values


def _schedule(text: str) -> Any:
    """``--schedule``'s value as a schedule factory; argparse names the option on error."""
    from descend.lab.schedules import parse_schedule

    try:
        return parse_schedule(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _lab_epilog() -> str:
    from descend.lab import PRESETS, PROBLEMS

    problems = "\n".join(
        f"  {name:<11} {(cls.__doc__ or '').strip().splitlines()[0].replace('``', '')}"
        for name, cls in PROBLEMS.items())
    optimizers = ", ".join(PRESETS) + ", random (random search)"
    return (f"problems:\n{problems}\n\noptimizers: {optimizers}\n\n"
            "examples:\n"
            "  descend lab sigmoid --optimizers gd,momentum,nag,adagrad,rmsprop,adam "
            "--out race.gif\n"
            "  descend lab rosenbrock --optimizers gd,adam --steps 800 --out rosenbrock.png\n"
            "  descend lab quadratic --sweep 0.013,0.13,0.26 --out sweep.png\n"
            "  descend lab beale --picture grid --out beale.png\n"
            "  descend lab double_well --optimizers gd,momentum,random --out wells.png\n"
            "  descend lab quadratic --schedule exponential:0.95 --out decay.png")


def add_lab_parser(subcommands: Any) -> None:
    """Add ``descend lab PROBLEM``: race optimizers on a toy problem, print and draw it.

    >>> parser = argparse.ArgumentParser(); add_lab_parser(parser.add_subparsers())
    >>> parser.parse_args(["lab", "beale", "--steps", "5"]).steps
    5
    """
    from descend.lab import PROBLEMS
    from descend.lab.races import DEFAULT_RACE

    p = subcommands.add_parser(
        "lab", help="race optimizers on a toy problem and draw or animate it",
        description="Race descend's optimizers on a toy problem: prints each one's final loss "
                    "and steps to converge, and saves a picture (.png/.svg/.pdf) or an "
                    "animation (.gif, or .mp4 with ffmpeg).",
        epilog=_lab_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("problem", choices=sorted(PROBLEMS), metavar="PROBLEM",
                   help="one of: " + ", ".join(PROBLEMS))
    p.add_argument("--optimizers", default=",".join(DEFAULT_RACE),
                   help="comma-separated optimizer names (default: %(default)s)")
    p.add_argument("--steps", type=int, help="optimizer steps (default: the problem's)")
    p.add_argument("--lr", type=float, help="one learning rate for every optimizer")
    p.add_argument("--schedule", type=_schedule, metavar="NAME[:N,...]",
                   help="decay every optimizer's learning rate, e.g. exponential:0.95, "
                        "step:20,0.5, inverse_time:0.1, cosine:100, polynomial:100,2, "
                        "plateau:0.5,5")
    p.add_argument("--start", type=lambda s: _floats(s, "--start", 2), metavar="A,B",
                   help="starting point (default: the problem's)")
    p.add_argument("--sweep", type=lambda s: _floats(s, "--sweep"), metavar="LR,LR,...",
                   help="instead of a race, run the first optimizer with these learning rates")
    p.add_argument("--condition-number", type=float, default=10.0,
                   help="κ of the quadratic problem (default: %(default)s)")
    p.add_argument("--picture", choices=("race", "grid", "3d"), default="race",
                   help="what a still picture shows: paths + losses, one panel per "
                        "optimizer, or the 3-D surface (default: %(default)s)")
    p.add_argument("--out", help="save to this file: .png, .svg, .pdf, .gif or .mp4")
    p.add_argument("--frames", type=int, default=60, help="animation frames (default: 60)")
    p.add_argument("--fps", type=int, default=12, help="animation speed (default: 12)")
    p.set_defaults(run=run_lab)


def run_lab(args: argparse.Namespace) -> int:
    """Handle ``descend lab``: print the race's summary and save the picture asked for.

    >>> run_lab(build_parser().parse_args(["lab", "quadratic", "--optimizers", "gd",
    ...                                    "--steps", "3"]))   # doctest: +ELLIPSIS
    optimizer   final loss   steps to loss-min <= 0.001
    GD          ...
    0
    """
    from descend import lab

    problem = (lab.Quadratic(condition_number=args.condition_number)
               if args.problem == "quadratic" else lab.get_problem(args.problem))
    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    if args.sweep:
        result = lab.lr_sweep(problem, args.sweep, optimizer=names[0], steps=args.steps,
                              start=args.start, schedule=args.schedule)
    else:
        result = lab.race(problem, names, steps=args.steps, start=args.start, lr=args.lr,
                          schedule=args.schedule)
    print(result.summary())
    if args.out:
        from descend import viz

        suffix = args.out.lower().rsplit(".", 1)[-1]
        if suffix in {"gif", "mp4"}:
            viz.animate_race(result, args.out, frames=args.frames, fps=args.fps)
        elif args.picture == "grid":
            viz.plot_race_grid(result, path=args.out)
        elif args.picture == "3d":
            viz.plot_surface_3d(problem, result, path=args.out)
        else:
            viz.plot_race(result, path=args.out)
        print(f"wrote {args.out}")
    return 0


def _assignment(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE such as v=0, got {text!r}")
    try:
        parsed = ast.literal_eval(value.strip())
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise argparse.ArgumentTypeError(
            f"{name.strip()}: expected a number or a list of numbers, got {shown!r}") from None
    return name.strip(), parsed


def add_explain_parser(subcommands: Any) -> None:
    """Add ``descend explain EXPR NAME=VALUE ...``: the step-by-step backprop trace.

    >>> parser = argparse.ArgumentParser(); add_explain_parser(parser.add_subparsers())
    >>> parser.parse_args(["explain", "v*x", "v=0", "x=[1, 2]"]).values
    [('v', 0), ('x', [1, 2])]
    """
    p = subcommands.add_parser(
        "explain", help="trace forward values and backward gradients of a formula",
        description="Print the forward values and the chain rule edge by edge for a formula "
                    "of numbers, variables, + - * / ** and functions such as exp, log, "
                    "sigmoid, tanh, relu.",
        epilog='example:  descend explain "(v*x - y)**2" v=0 x=2 y=5 --lr 0.1 --graph g.svg',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", help='the formula, e.g. "(v*x - y)**2"')
    p.add_argument("values", nargs="*", type=_assignment, metavar="NAME=VALUE",
                   help="a value for every variable")
    p.add_argument("--lr", type=float, help="also show one gradient-descent update")
    p.add_argument("--wrt", help="comma-separated variables to differentiate (default: all)")
    p.add_argument("--graph", metavar="FILE",
                   help="also draw the graph: .svg, .png, .pdf (needs Graphviz) or .dot")
    p.set_defaults(run=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    """Handle ``descend explain``: print the trace and draw the graph when asked.

    >>> run_explain(build_parser().parse_args(["explain", "2*w", "w=1"]))  # doctest: +ELLIPSIS
    Forward pass: each value from its inputs
    ...
    Gradients: dL/dw = 2
    0
    """
    from descend.lab.explanation import explain
    from descend.paths import output_file

    if args.graph:  # a missing folder fails before the work, not after
        output_file(args.graph, "explain --graph", example="graph.svg")
    wrt = None if args.wrt is None else [w.strip() for w in args.wrt.split(",") if w.strip()]
    result = explain(args.expression, dict(args.values), lr=args.lr, wrt=wrt)
    print(result)
    if args.graph:
        from descend.viz import draw_graph

        drawn = draw_graph(result.trace, args.graph)
        if drawn.path is not None:
            print(f"wrote {drawn.path}")
    return 0


def _number(kind: type, text: str, *, zero: bool = False) -> Any:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not (value >= 0 if zero else value > 0) or value == float("inf"):
        what = (("a whole number, 0 or more" if zero else "a positive whole number")
                if kind is int else ("a number, 0 or more" if zero else "a positive number"))
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return _number(int, text)


def _positive_float(text: str) -> float:
    return _number(float, text)


def _seed(text: str) -> int:
    return _number(int, text, zero=True)


def _fraction_or_more(text: str) -> float:
    return _number(float, text, zero=True)


def _dropout(text: str) -> float:
    value = _number(float, text, zero=True)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


def add_demo_parser(subcommands: Any) -> None:
    """Add ``descend demo boston`` and ``descend demo mnist``: complete training runs.

    >>> parser = argparse.ArgumentParser(); add_demo_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["demo", "boston", "--model", "mlp1", "--epochs", "5"])
    >>> args.model, args.epochs, args.lr, args.batch_size, args.seed
    ('mlp1', 5, None, 40, 0)
    """
    from descend.demo import boston, boston_command, mnist
    from descend.demo.whatif import INITS
    from descend.optim import OPTIMIZERS

    demo = subcommands.add_parser(
        "demo", help="train real models end to end: Boston Housing, MNIST",
        description="Complete training runs that print their results: the TF.js Boston "
                    "Housing study\n(no download, a few seconds) and an MNIST digit "
                    "classifier.",
        epilog="examples:\n  descend demo boston\n  descend demo boston --model linear "
               "--optimizer adam --lr 0.1 --plot curves.png\n  descend demo mnist --data-dir "
               "PATH --epochs 10 --plot mnist.png",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.set_defaults(run=lambda args: (demo.print_help(), 2)[1])
    demos = demo.add_subparsers(title="demos", metavar="DEMO")

    p = demos.add_parser(
        "boston", help="the TF.js Boston Housing study: baseline, linear regression, MLPs",
        description="Predict Boston-area home values with the tfjs-examples recipe (features "
                    "z-scored, SGD lr 0.01, batch 40, 200 epochs, the last 20% of the "
                    "training rows for validation) and print a table of train, validation and "
                    "test MSE and MAE next to the predict-the-mean baseline, then the linear "
                    "model's weight per feature.")
    p.add_argument("--model", choices=("linear", "mlp1", "mlp2", "all"), default="all",
                   help="linear regression, one or two hidden layers of 50 sigmoid units, "
                        "or all (default: %(default)s)")
    p.add_argument("--epochs", type=_positive_int, default=boston.RECIPE["epochs"],
                   help="passes over the training rows (default: %(default)s)")
    p.add_argument("--optimizer", default="sgd", type=str.lower, choices=list(OPTIMIZERS),
                   metavar="NAME", help=f"one of {', '.join(OPTIMIZERS)} (default: "
                                        "%(default)s)")
    p.add_argument("--lr", type=_positive_float,
                   help="learning rate (default: 0.01 for sgd, else the optimizer's default)")
    p.add_argument("--batch-size", type=_positive_int, default=boston.RECIPE["batch_size"],
                   help="rows per gradient step (default: %(default)s)")
    p.add_argument("--seed", type=_seed, default=0,
                   help="seed of the initial weights and batch order (default: %(default)s)")
    p.add_argument("--plot", metavar="FILE",
                   help="save the loss curves of the trained models (.png, .svg, .pdf)")
    p.add_argument("--quiet", action="store_true", help="print only the results table")
    what_if = p.add_argument_group("what if", "change one thing in the recipe; with --plot, "
                                              "its curves are drawn beside the recipe's")
    what_if.add_argument("--no-normalize", action="store_true",
                         help="train on the raw features (SGD at lr 0.01 diverges)")
    what_if.add_argument("--l2", type=_fraction_or_more, default=0.0, metavar="L2",
                         help="L2 penalty on every kernel (default: none)")
    what_if.add_argument("--dropout", type=_dropout, default=0.0, metavar="RATE",
                         help="drop this fraction of hidden units while training (default: "
                              "none)")
    what_if.add_argument("--init", choices=list(INITS),
                         help="initial kernels (default: lecun hidden, glorot output)")
    p.set_defaults(run=boston_command.command)

    p = demos.add_parser(
        "mnist", help="a 784-256-10 ReLU network on MNIST with Adam (needs the data files)",
        description="Train a 784-256-10 ReLU network on MNIST with Adam, showing a progress "
                    "bar per epoch, then print the test accuracy and the confusion matrix. "
                    "The four .gz files are read from --data-dir, else $DESCEND_DATA/mnist, "
                    "else ~/.cache/descend/mnist, and downloaded there when missing.")
    p.add_argument("--data-dir", metavar="PATH",
                   help="the folder holding the four MNIST .gz files")
    p.add_argument("--epochs", type=_positive_int, default=10,
                   help="passes over the training images (default: %(default)s)")
    p.add_argument("--batch-size", type=_positive_int, default=128,
                   help="images per gradient step (default: %(default)s)")
    p.add_argument("--lr", type=_positive_float, default=1e-3,
                   help="Adam's learning rate (default: %(default)s)")
    p.add_argument("--seed", type=_seed, default=0,
                   help="seed of the initial weights and batch order (default: %(default)s)")
    p.add_argument("--limit", type=_positive_int, metavar="N",
                   help="train on the first N training images only (quick runs)")
    p.add_argument("--plot", metavar="FILE",
                   help="save the loss and accuracy curves (.png, .svg, .pdf)")
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="train data-parallel on this many MPI ranks, started with mpiexec "
                        "(pip install 'descend[distributed]'; default: %(default)s)")
    p.add_argument("--no-download", action="store_true",
                   help="only read files already on disk; never download")
    p.set_defaults(run=mnist.command)


def _list_of(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """An argparse type for comma-separated values, each checked by ``kind``."""

    def parse(text: str) -> list[Any]:
        values = [kind(v.strip()) for v in text.split(",") if v.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"expected comma-separated values, got {text!r}")
        return values

    return parse


def add_sweep_parser(subcommands: Any) -> None:
    """Add ``descend sweep boston``: a grid of Boston Housing trainings on Dask workers.

    >>> parser = argparse.ArgumentParser(); add_sweep_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["sweep", "boston", "--lr", "1e-3,1e-2", "--seeds", "2"])
    >>> args.lr, args.optimizer, args.seeds, args.workers
    ([0.001, 0.01], ['sgd'], 2, 2)
    """
    from descend.demo import boston_sweep

    sweeps = subcommands.add_parser(
        "sweep", help="run a grid of trainings as independent trials on Dask",
        description="Hyperparameter sweeps: every combination of the listed settings is one "
                    "trial,\nrun on a Dask LocalCluster (or the scheduler in "
                    "$DESCEND_DASK_SCHEDULER).",
        epilog="example:\n  descend sweep boston --lr 1e-3,1e-2,1e-1 --optimizer sgd,adam "
               "--seeds 3 --workers 2 --out sweep/",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sweeps.set_defaults(run=lambda args: (sweeps.print_help(), 2)[1])
    p = sweeps.add_subparsers(title="sweeps", metavar="SWEEP").add_parser(
        "boston", help="the Boston Housing recipe over learning rates, optimizers, seeds, ...",
        description="Train Boston Housing models (descend demo boston's recipe) for every "
                    "combination of the settings; print the trials best first and optionally "
                    "write sweep.csv, sweep.png (the metric against each setting) and "
                    "best_curves.png.")
    p.add_argument("--model", type=_list_of(str.lower), default=["linear"],
                   help="comma-separated: linear, mlp1, mlp2 (default: linear)")
    p.add_argument("--optimizer", type=_list_of(str.lower), default=["sgd"],
                   help="comma-separated optimizer names (default: sgd)")
    p.add_argument("--lr", type=_list_of(_positive_float),
                   help="comma-separated learning rates (default: 0.01 for sgd, else the "
                        "optimizer's default)")
    p.add_argument("--batch-size", type=_list_of(_positive_int), default=[40],
                   help="comma-separated batch sizes (default: 40)")
    p.add_argument("--epochs", type=_positive_int, default=boston_sweep.DEFAULTS["epochs"],
                   help="epochs per trial (default: %(default)s)")
    p.add_argument("--seeds", type=_positive_int, default=1,
                   help="seeds 0..N-1 for every combination (default: %(default)s)")
    p.add_argument("--workers", type=lambda t: _number(int, t, zero=True), default=2,
                   help="Dask worker processes; 0 runs the trials in this process "
                        "(default: %(default)s)")
    p.add_argument("--metric", default="val_loss",
                   help="the metric that ranks the trials (default: %(default)s)")
    p.add_argument("--out", metavar="FOLDER",
                   help="an existing folder for sweep.csv, sweep.png and best_curves.png")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=boston_sweep.command)


def add_bench_parser(subcommands: Any) -> None:
    """Add ``descend bench``: the benchmark suite of a source checkout (``benchmarks/run.py``).

    >>> parser = argparse.ArgumentParser(); add_bench_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["bench", "--quick", "--only", "cnn_step"])
    >>> args.quick, args.only, args.two_threads
    (True, ['cnn_step'], None)
    """
    from descend import bench

    p = subcommands.add_parser(
        "bench", help="time descend against hand-written NumPy and PyTorch (needs a checkout)",
        description="Run the benchmark suite: every workload (MLP steps, sigmoid neuron, "
                    "elementwise ops,\nBoston, a small CNN, fit on the digits, optimizers, "
                    "memory, scaling) for descend,\nhand-written NumPy and PyTorch at 1 and 2 "
                    "threads; print a summary against the\nperformance targets and rewrite "
                    "benchmarks/RESULTS.md. The scripts live in the\nbenchmarks/ folder of a "
                    "source checkout (pip install -e '.[bench,test]');\n"
                    f"${bench.ENVIRONMENT} may point to it elsewhere.",
        epilog="examples:\n  descend bench --quick\n  descend bench --list\n  descend bench "
               "--only mlp_step cnn_step --note 'quiet machine'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_options(p)
    p.set_defaults(run=bench.command)


def add_serve_parser(subcommands: Any) -> None:
    """Add ``descend serve``: the browser pages (needs the ``web`` extra).

    >>> parser = argparse.ArgumentParser(); add_serve_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["serve", "--port", "8001", "--open"])
    >>> args.host, args.port, args.open
    ('127.0.0.1', 8001, True)
    """
    p = subcommands.add_parser(
        "serve", help="the browser pages: Boston Housing live, a fit dashboard, a playground",
        description="Start a local web server with three pages: Boston Housing trained live "
                    "(/boston), a dashboard for any fit with dc.callbacks.Dashboard() "
                    "(/dashboard) and a gradient-descent playground (/playground). Needs "
                    "pip install 'descend[web]'.")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=_positive_int, default=8000, help="default: %(default)s")
    p.add_argument("--open", action="store_true", help="open the pages in the browser")
    p.set_defaults(run=lambda args: _serve(args.host, args.port, args.open))


def _serve(host: str, port: int, open_browser: bool) -> int:
    from descend.serve.local import web_stack

    web_stack()
    from descend.serve import serve

    serve(host, port, open_browser=open_browser)
    return 0


SUBCOMMANDS: list[Callable[[Any], None]] = [add_lab_parser, add_explain_parser,
                                            add_demo_parser, add_sweep_parser, add_bench_parser,
                                            add_serve_parser]
"""The functions that add each subcommand group to the parser."""


def build_parser() -> argparse.ArgumentParser:
    """The ``descend`` argument parser with every subcommand of :data:`SUBCOMMANDS`.

    >>> build_parser().prog
    'descend'
    """
    parser = argparse.ArgumentParser(
        prog="descend", description="descend: train neural networks by gradient descent, and "
                                    "see what gradient descent does.")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``descend`` command with ``argv`` (default: the process's arguments).

    Returns the exit status: 0 on success, 1 when the lab reports an error (or a file cannot be
    written), 2 without a command.

    >>> main(["explain", "x*", "x=1"])
    1
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except (ValueError, TypeError, ImportError, RuntimeError, OSError) as err:
        print(f"descend: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
