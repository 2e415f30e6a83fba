"""The compiled step (``dc.jit``) against the eager step, hand NumPy and PyTorch, at 1 thread.

Workloads: the MLP 784-256-256-10 SGD step of ``mlp_step.py`` at batch 32 and 1024, and the
sigmoid-neuron GD step of ``sigmoid_step.py``. Every variant is timed interleaved, round by
round (``harness.compare``); ratios are medians of per-round ratios against the first variant.
The compiled variants are checked to give the eager step's weights bit for bit first.

Run from the repository root::

    python benchmarks/jit_step.py            # prints a table (notes: profiles/jit_step.md)
    python benchmarks/jit_step.py --quick    # fewer rounds
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from harness import Variant, compare, has_torch, paired_ratio, pin_threads
from mlp_step import DescendMLP, NumpyMLP, make_problem
from sigmoid_step import DescendNeuron, NumpyNeuron, TorchNeuron

import descend as dc


class Jitted:
    """An implementation whose ``step`` runs through ``dc.jit``; its attributes ``names`` (the
    batch: inputs and targets) become the compiled step's arguments."""

    def __init__(self, inner: Any, names: tuple[str, ...]) -> None:
        self.inner, self.names = inner, names
        values = [getattr(inner, name) for name in names]
        self.arrays = [v.data if isinstance(v, dc.Tensor) else np.asarray(v) for v in values]
        self.compiled = dc.jit(self._step)

    def _step(self, *batch: dc.Tensor) -> dc.Tensor:
        for name, tensor in zip(self.names, batch):
            setattr(self.inner, name, tensor)
        return self.inner.step()

    def step(self) -> dc.Tensor:
        return self.compiled(*self.arrays)

    def weights(self) -> list[Any]:
        return self.inner.weights()


def check_bit_for_bit(make_eager, make_compiled, steps: int = 5) -> None:
    eager, compiled = make_eager(), make_compiled()
    for _ in range(steps):
        eager.step()
        compiled.step()
    assert all(np.array_equal(a, b) for a, b in zip(eager.weights(), compiled.weights()))


def mlp_variants(batch: int) -> list[Variant]:
    problem = make_problem(batch)
    def jitted() -> Jitted:
        return Jitted(DescendMLP(problem), ("x", "labels"))

    check_bit_for_bit(lambda: DescendMLP(problem), jitted)
    return [Variant("NumPy", lambda: NumpyMLP(problem).step),
            Variant("descend", lambda: DescendMLP(problem).step),
            Variant("descend jit", lambda: jitted().step)]


def neuron_variants() -> list[Variant]:
    def jitted() -> Jitted:
        return Jitted(DescendNeuron(), ("x", "y"))

    check_bit_for_bit(DescendNeuron, jitted)
    made = [("NumPy", NumpyNeuron), ("descend SGD", DescendNeuron), ("descend jit SGD", jitted)]
    if has_torch():
        made.append(("torch SGD", TorchNeuron))
    return [Variant(name, (lambda cls=cls: cls().step)) for name, cls in made]


def report(title: str, result: dict, pairs: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    for name, row in result.items():
        print(f"  {name:16s} {row['median_s'] * 1e6:9.1f} us   x{row['ratio']:.3f} "
              f"[{row['ratio_lo']:.3f}, {row['ratio_hi']:.3f}] vs NumPy")
    for name, other in pairs:
        if name in result and other in result:
            r = paired_ratio(result, name, other)
            print(f"  {name} / {other}: x{r['ratio']:.3f} [{r['ratio_lo']:.3f}, "
                  f"{r['ratio_hi']:.3f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    rounds = 7 if parser.parse_args().quick else 15
    with pin_threads(1):
        for batch in (32, 1024):
            report(f"MLP 784-256-256-10 SGD step, batch {batch}, 1 thread",
                   compare(mlp_variants(batch), rounds=rounds),
                   [("descend jit", "descend")])
        report("sigmoid neuron GD step, 1 thread", compare(neuron_variants(), rounds=rounds),
               [("descend jit SGD", "descend SGD"), ("descend jit SGD", "torch SGD"),
                ("descend SGD", "torch SGD")])


if __name__ == "__main__":
    main()
