"""The scaling benchmark's table and plot, from a made-up grid (nothing is timed here)."""

from __future__ import annotations

import pytest
from bench_support import entry, load

scaling = load("scaling")


def fake_grid(ratios: dict[int, list[float]]) -> dict:
    batches = (1, 16, 256)
    cells = {}
    for width, per_batch in ratios.items():
        for batch, ratio in zip(batches, per_batch):
            cells[f"{width}x{batch}"] = {"results": {"NumPy": entry(1e-4 * batch),
                                                     "descend": entry(1e-4 * batch * ratio,
                                                                      ratio=ratio)},
                                         "others": 0.05}
    return {"cells": cells, "threads": {"blas (openblas)": "1"}, "machine": {"cpu": "cpu"}}


def test_flops_count_forward_and_both_gradients():
    macs = 784 * 64 + 64 * 64 + 64 * 10
    assert scaling.flops(2, 64) == 2 * 2 * (3 * macs - 784 * 64)


def test_gemm_bound_from_is_where_the_ratio_stays_within_the_limit():
    run = fake_grid({64: [3.0, 1.05, 1.02], 256: [1.5, 1.3, 1.2], 512: [1.0, 1.2, 1.05]})
    batches = [1, 16, 256]
    assert scaling.gemm_bound_from(run, 64, batches) == 16
    assert scaling.gemm_bound_from(run, 256, batches) is None
    assert scaling.gemm_bound_from(run, 512, batches) == 256


def test_the_table_has_a_row_per_width():
    run = fake_grid({64: [3.0, 1.05, 1.02], 256: [1.5, 1.3, 1.2]})
    table = scaling.table(run)
    assert "| 64 | 300 µs (3.00×) | 1.68 ms (1.05×) | 26.1 ms (1.02×) | 200 µs | 16 | 5% |" in table
    assert "| 256 | 150 µs (1.50×) |" in table and "| — | 5% |" in table


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header chunk."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_plot_is_written_and_shows_its_input(tmp_path):
    pytest.importorskip("matplotlib")
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    assert scaling.plot({1: fake_grid({64: [3.0, 1.05, 1.02]})}, first) == [str(first)]
    scaling.plot({1: fake_grid({64: [2.0, 1.3, 0.9]})}, second)
    image = first.read_bytes()
    assert image[:4] == b"\x89PNG" and len(image) > 20_000
    assert png_size(image) == (1210, 462)  # 11 × 4.2 inches at 110 dpi
    assert image != second.read_bytes()

