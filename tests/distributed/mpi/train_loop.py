"""A custom training loop, data-parallel over MPI ranks, or plain with --plain (the reference).

python train_loop.py OPTIMIZER BATCH STEPS OUT [--plain]   (under mpiexec -n N, or alone)
Every rank writes its final weights to OUT.rank<r>.npz.
"""

import sys

import numpy as np

import descend as dc


def main(optimizer: str, batch: int, steps: int, out: str, plain: bool) -> None:
    dc.set_default_dtype("float64")
    dp = None if plain else dc.distributed.DataParallel(timeout=20)
    rank = 0 if dp is None else dp.rank
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(47, 5)), rng.normal(size=(47, 1))
    dc.seed(0 if rank == 0 else 100 + rank)  # other ranks start elsewhere: broadcast fixes it
    model = dc.Sequential([dc.nn.Dense(8, activation="tanh", input_dim=5), dc.nn.Dense(1)])
    params = list(model.parameters())
    if dp is not None:
        dp.broadcast_parameters(params)
    opt = (dc.optim.SGD(params, lr=0.1, momentum=0.9) if optimizer == "sgd"
           else dc.optim.Adam(params, lr=0.01))
    done, epoch = 0, 0
    while done < steps:
        order = np.random.default_rng(epoch).permutation(len(x))
        for start in range(0, len(x), batch):
            rows = order[start:start + batch]
            if dp is not None:
                rows = dp.shard(rows)
            opt.zero_grad()
            if len(rows):
                dc.losses.mse(dc.tensor(y[rows]), model(dc.tensor(x[rows]))).backward()
            if dp is not None:
                dp.allreduce_gradients(params)
            opt.step()
            done += 1
            if done == steps:
                break
        epoch += 1
    np.savez(f"{out}.rank{rank}.npz", *[p.data for p in params])


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], "--plain" in sys.argv)
