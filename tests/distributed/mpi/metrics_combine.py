"""Each rank updates metrics with its shard; combined, every rank must hold the whole data's
values. Exits 1 naming the first metric that differs. (mpiexec -n N python metrics_combine.py)
"""

import sys

import numpy as np

import descend as dc
from descend.distributed.metric_sums import combine
from descend.metrics import (
    Accuracy,
    ConfusionMatrix,
    MeanAbsoluteError,
    Precision,
    R2Score,
    SparseCategoricalAccuracy,
)


def metrics():
    return [MeanAbsoluteError(), R2Score(), ConfusionMatrix(), Precision(average="macro"),
            SparseCategoricalAccuracy(), Accuracy()]


def feed(ms, rows, data):
    y, p, labels, scores, weights = data
    for m in ms:
        if isinstance(m, MeanAbsoluteError | R2Score):
            m.update(y[rows], p[rows], sample_weight=weights[rows])
        elif isinstance(m, SparseCategoricalAccuracy):
            m.update(labels[rows], scores[rows])
        else:
            m.update(labels[rows], scores[rows].argmax(axis=1))


def main() -> int:
    dp = dc.distributed.DataParallel(timeout=20)
    rng = np.random.default_rng(0)
    n = 11
    data = (rng.normal(size=(n, 2)), rng.normal(size=(n, 2)), rng.integers(0, 4, n),
            rng.normal(size=(n, 4)), rng.uniform(0.5, 2, n))
    whole, mine = metrics(), metrics()
    feed(whole, np.arange(n), data)
    parts = np.array_split(np.arange(n), dp.size)
    if dp.size > 1:  # rank 1 sees no sample at all, rank 0 takes its share
        parts[0], parts[1] = np.concatenate(parts[:2]), parts[1][:0]
    if len(parts[dp.rank]):
        feed(mine, parts[dp.rank], data)
    combine(mine, dp)
    for a, b in zip(whole, mine):
        if not np.allclose(a.result(), b.result(), rtol=1e-12, atol=1e-12):
            print(f"rank {dp.rank}: {a.name} {b.result()} != {a.result()}", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
