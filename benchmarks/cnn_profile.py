"""Where the compiled small-CNN step spends its time: per-instruction minima beside hand NumPy.

Replays the program ``dc.jit`` makes of ``cnn_step.DescendCNN``'s step instruction by
instruction, timing each, and alternates each replay with one hand im2col step
(``cnn_numpy.NumpyCNN``). Minima over many rounds are the figures least disturbed by other
processes on a busy machine. The compiled step's instructions are eager's ops (it keeps
eager's bits), so this is also the array work of the eager step without autograd's own cost.
Findings: ``profiles/cnn_step.md``. Run from the repository root::

    python benchmarks/cnn_profile.py               # 300 rounds, 1 thread
    python benchmarks/cnn_profile.py --rounds 20
"""

from __future__ import annotations

import argparse

import cnn_step
from cnn_numpy import NumpyCNN
from harness import pin_threads
from jit_step import Jitted
from mlp_step_profile import instruction_minima


def profile(rounds: int) -> tuple[list[tuple[str, float]], float, float]:
    """``([(instruction, min seconds)], min replay seconds, min hand step seconds)``."""
    problem = cnn_step.make_problem()
    jitted = Jitted(cnn_step.DescendCNN(problem, cnn_step.LR), ("x", "y"))
    jitted.step()
    return instruction_minima(jitted, NumpyCNN(problem, cnn_step.LR).step, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    pin_threads(args.threads)
    rows, replay, hand = profile(args.rounds)
    print(f"min compiled step {replay * 1e3:.3f} ms, min hand step {hand * 1e3:.3f} ms "
          f"({replay / hand:.3f}x)")
    for line, seconds in rows:
        if seconds >= 30e-6:
            print(f"  {seconds * 1e3:7.3f} ms  {line[:90]}")
    print(f"sum of the instruction minima {sum(s for _, s in rows) * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
