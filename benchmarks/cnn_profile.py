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
import time

import cnn_step
from cnn_numpy import NumpyCNN
from harness import pin_threads
from jit_step import Jitted


def profile(rounds: int) -> tuple[list[tuple[str, float]], float, float]:
    """``([(instruction, min seconds)], min replay seconds, min hand step seconds)``."""
    problem = cnn_step.make_problem()
    jitted = Jitted(cnn_step.DescendCNN(problem, cnn_step.LR), ("x", "y"))
    jitted.step()
    program = jitted.compiled.program(*jitted.arrays)
    lines = [line.strip() for line in str(program).splitlines()[1 + len(program.once):]]
    hand = NumpyCNN(problem, cnn_step.LR).step
    best = [float("inf")] * len(program.runs)
    replay = hand_best = float("inf")
    env = program.env
    for _ in range(rounds):
        for slot, array in zip(program.arguments, jitted.arrays):
            env[slot] = array
        for handed_out in program.handed:
            handed_out.clear()
        start = time.perf_counter()
        for i, run in enumerate(program.runs):
            began = time.perf_counter()
            run(env)
            best[i] = min(best[i], time.perf_counter() - began)
        replay = min(replay, time.perf_counter() - start)
        began = time.perf_counter()
        hand()
        hand_best = min(hand_best, time.perf_counter() - began)
    return list(zip(lines, best)), replay, hand_best


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
