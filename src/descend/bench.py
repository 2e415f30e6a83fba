"""``descend bench``: run the benchmark suite of a source checkout (``benchmarks/run.py``).

The benchmark scripts are not part of the installed package: they compare descend with
hand-written NumPy and with PyTorch (a test-only dependency) and rewrite
``benchmarks/RESULTS.md``, so they live in the repository's ``benchmarks/`` folder. After
``pip install -e .`` the command finds that folder next to the package's sources; after a
regular (non-editable) install it looks in ``$DESCEND_BENCHMARKS`` and in ``./benchmarks``,
and otherwise says where to get it. The options are defined here once, for both the command
and ``benchmarks/run.py``.

>>> import argparse
>>> parser = argparse.ArgumentParser(); add_options(parser)
>>> to_argv(parser.parse_args(["--quick", "--only", "cnn_step", "mlp_step"]))
['--quick', '--only', 'cnn_step', 'mlp_step']
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ENVIRONMENT = "DESCEND_BENCHMARKS"
"""The environment variable that may name the ``benchmarks/`` folder to run."""


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add the suite's options to ``parser``: ``--quick``, ``--only``, ``--two-threads``,
    ``--note``, ``--retries``, ``--list``.

    >>> parser = argparse.ArgumentParser(); add_options(parser)
    >>> args = parser.parse_args(["--quick"])
    >>> args.quick, args.only, args.two_threads, args.note, args.retries, args.list
    (True, None, None, '', 0, False)
    """
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run of about 2 minutes (small sizes, few rounds): prints "
                             "the tables and the summary, writes nothing")
    parser.add_argument("--only", nargs="+", metavar="WORKLOAD",
                        help="run only these workloads (names from --list)")
    parser.add_argument("--two-threads", choices=("always", "idle", "never"),
                        help="when to take the 2-thread figures: always (marking figures "
                             "measured while other processes were busy), only if the machine "
                             "is idle at that point, or never (default: always; never with "
                             "--quick)")
    parser.add_argument("--note", default="",
                        help="a sentence printed above the tables, e.g. 'quiet machine'")
    parser.add_argument("--retries", type=int, default=0, metavar="N",
                        help="measure a workload's 1-thread figures again, up to N times, "
                             "while the NumPy yardstick read around them is disturbed (other "
                             "machines on the host); keep its quietest run (default 0)")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")


def to_argv(args: argparse.Namespace) -> list[str]:
    """The command line of ``benchmarks/run.py`` that repeats the options in ``args``.

    >>> to_argv(argparse.Namespace(quick=False, only=None, two_threads="never", note="idle",
    ...                            retries=2, list=False))
    ['--two-threads', 'never', '--note', 'idle', '--retries', '2']
    """
    argv = ["--quick"] if args.quick else []
    if args.only:
        argv += ["--only", *args.only]
    if args.two_threads:
        argv += ["--two-threads", args.two_threads]
    if args.note:
        argv += ["--note", args.note]
    if args.retries:
        argv += ["--retries", str(args.retries)]
    return [*argv, "--list"] if args.list else argv


def find_suite() -> Path:
    """The ``run.py`` to run: in ``$DESCEND_BENCHMARKS``, beside the package's sources (an
    editable install or a checkout), or in ``./benchmarks``.

    Raises:
        RuntimeError: if none of them has ``run.py``, saying where the scripts come from.

    >>> find_suite().name      # run from a source checkout
    'run.py'
    """
    named = os.environ.get(ENVIRONMENT)
    if named:
        script = Path(named) / "run.py"
        if not script.is_file():
            raise RuntimeError(f"bench: ${ENVIRONMENT} is {named!r}, but that folder has no "
                               "run.py; expected the benchmarks/ folder of a descend checkout")
        return script
    for folder in (Path(__file__).resolve().parents[2] / "benchmarks",
                   Path.cwd() / "benchmarks"):
        if (folder / "run.py").is_file():
            return folder / "run.py"
    raise RuntimeError(
        "bench: the benchmark scripts are not installed with the package; they are in the "
        "benchmarks/ folder of a source checkout. Clone descend and install it with "
        "`pip install -e '.[bench,test]'`, then run `descend bench` (or run it from the "
        f"checkout's root, or set ${ENVIRONMENT} to its benchmarks/ folder)")


def command(args: argparse.Namespace) -> int:
    """Handle ``descend bench``: run ``benchmarks/run.py`` with this Python; its exit status.

    The suite's output is printed line by line as it comes; its progress goes to stderr.

    Raises:
        ImportError: without ``threadpoolctl`` (the ``bench`` extra), which pins BLAS threads.
        RuntimeError: when the benchmark scripts cannot be found (see :func:`find_suite`).

    >>> parser = argparse.ArgumentParser(); add_options(parser)
    >>> command(parser.parse_args(["--list"]))     # doctest: +ELLIPSIS
    mlp_step ...
    0
    """
    if importlib.util.find_spec("threadpoolctl") is None:
        raise ImportError("bench: the benchmarks pin BLAS threads with threadpoolctl, which is "
                          "not installed; install it with `pip install 'descend[bench]'`")
    script = find_suite()
    with subprocess.Popen([sys.executable, str(script), *to_argv(args)],
                          stdout=subprocess.PIPE, text=True) as child:
        for line in child.stdout:      # through print, so that a caller may capture it
            print(line, end="", flush=True)
    return child.returncode
