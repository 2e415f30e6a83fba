"""CPU instructions per sigmoid-neuron GD step, counted by valgrind's callgrind.

Timings of a 35 µs step drift by a few percent from run to run; the instructions it executes do
not. This runs ``sigmoid_step.DescendNeuron().step`` under callgrind twice, ``--steps`` steps
and five times as many, and prints the difference divided by the extra steps, so start-up and
imports cancel out. Hash seeds, address-space layout and BLAS threads are fixed, so
two runs of the same code agree to about ten instructions: a change worth 0.3 % shows. Fewer
instructions is not always less time (cache misses and branch mispredictions do not count),
so confirm a change with ``sigmoid_step.py --quick`` as well.

Needs ``valgrind`` (Linux). Run from the repository root::

    python benchmarks/instructions.py              # the working tree's src/
    python benchmarks/instructions.py --src ../other-checkout/src
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOOP = (
    "import sys; sys.path.insert(0, {benchmarks!r})\n"
    "from sigmoid_step import DescendNeuron\n"
    "step = DescendNeuron().step\n"
    "for _ in range({steps}):\n"
    "    step()\n"
)


def count(steps: int, src: Path) -> int:
    """Instructions callgrind counts for a Python process that takes ``steps`` steps."""
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-c", LOOP.format(benchmarks=str(HERE), steps=steps)]
    if shutil.which("setarch"):  # the same addresses every run: identity hashes stay put
        command = ["setarch", "-R", *command]
    report = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stderr
    found = re.search(r"Collected : (\d+)", report)
    if found is None:
        raise RuntimeError(f"callgrind printed no instruction count:\n{report[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=HERE.parent / "src",
                        help="the source tree to import descend from (default: this checkout's)")
    parser.add_argument("--steps", type=int, default=300,
                        help="steps of the shorter run (the longer takes five times as many)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("instructions.py needs valgrind (apt install valgrind)")
    if args.steps < 1:
        raise SystemExit("--steps must be at least 1")
    extra = 4 * args.steps
    short, long = count(args.steps, args.src), count(args.steps + extra, args.src)
    print(f"{(long - short) / extra:,.0f} instructions per step ({args.src})")


if __name__ == "__main__":
    main()
