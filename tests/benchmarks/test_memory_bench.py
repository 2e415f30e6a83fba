"""The memory benchmark measures what it says: a step's peak, and growth when there is some."""

from __future__ import annotations

import numpy as np
import pytest
from bench_support import load

memory = load("memory")
mlp_step = load("mlp_step")

SIZES = (64, 32, 32, 10)


@pytest.fixture(scope="module")
def problem():
    return mlp_step.make_problem(128, SIZES)


def test_the_hand_steps_peak_holds_at_least_its_activations(problem):
    peaks = {name: memory.step_peak(cls, problem) for name, cls in memory.IMPLEMENTATIONS.items()}
    activations = 2 * 128 * 32 * 4          # both hidden layers' float32 outputs
    assert peaks["NumPy"]["peak"] >= activations
    assert peaks["descend"]["peak"] >= activations
    assert peaks["NumPy"]["kept"] < 4096, "the hand step keeps nothing between steps"


class LeakyMLP(mlp_step.NumpyMLP):
    """The hand step, keeping 400 bytes more after every step."""

    def step(self):
        self.__dict__.setdefault("kept", []).append(np.zeros(100, dtype=np.float32))
        return super().step()


def test_growth_is_flat_for_the_step_and_catches_a_leak(problem):
    flat = memory.growth(problem, 60)
    assert flat["steps"] == 60 and len(flat["samples"]) == memory.CHECKPOINTS
    assert abs(flat["growth"]) < memory.GROWTH_LIMIT
    leaky = memory.growth(problem, 60, LeakyMLP)
    assert leaky["growth"] >= 54 * 400       # 54 steps between the first and last sample


def test_the_targets_and_the_section():
    run = {"peaks": {"NumPy": {"peak": 4 * 2**20, "kept": 0},
                     "descend": {"peak": 5 * 2**20, "kept": 2**20}},
           "sizes": {"parameters": 2**20, "batch": 3 * 2**20},
           "growth": {"steps": 1000, "samples": [2**20] * 9 + [2**20 + 512], "growth": 512,
                      "seconds": 9.0},
           "threads": {"blas (openblas)": "1"}, "machine": {"cpu": "test cpu"}}
    peak, growth = memory.targets({1: run})
    assert peak.values[1] == 1.25 and peak.met()
    assert growth.figure() == "512 B" and growth.met()
    markdown = memory.BENCH.markdown({1: run})
    assert "| descend | 5 MiB | 1 MiB | 1.25× |" in markdown
    assert "**512 B** from step 100 to step 1,000" in markdown
