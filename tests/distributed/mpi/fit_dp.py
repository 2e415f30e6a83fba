"""model.fit(..., distribute=DataParallel()) under mpiexec, or plain fit as the reference.

python fit_dp.py OPTIMIZER OUT MODE [EPOCHS]
MODE: plain (no distribute), dp, jit (dp with compile(jit_compile=True)), stop (rank 1 alone
      asks to stop after epoch 2),
      save (2 epochs, rank 0 saves OUT.model), resume (loads OUT.model, trains to EPOCHS).
Every rank writes OUT.rank<r>.npz (weights) and OUT.rank<r>.json (history, epochs trained);
a chief-only callback leaves OUT.chief.rank<r> where it ran.
"""

import json
import sys
from pathlib import Path

import numpy as np

import descend as dc


class Marker(dc.callbacks.Callback):
    chief_only = True

    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_train_begin(self, logs=None):
        Path(self.path).write_text("ran")


class StopOnRankOne(dc.callbacks.Callback):
    def __init__(self, rank):
        super().__init__()
        self.rank = rank

    def on_epoch_end(self, epoch, logs=None):
        if self.rank == 1 and epoch == 1:
            self.model.stop_training = True


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(53, 4))
    y = np.tanh(x @ np.array([[1.0], [-1.0], [0.5], [2.0]])) + 0.1 * rng.normal(size=(53, 1))
    return x, y


def new_model(optimizer, jit_compile=False):
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(8, activation="tanh", input_dim=4), dc.nn.Dense(1)])
    opt = dc.optim.SGD(lr=0.05, momentum=0.9) if optimizer == "sgd" else dc.optim.Adam(lr=0.01)
    model.compile(opt, "mse", metrics=["mae"], jit_compile=jit_compile)
    return model


def main(optimizer, out, mode, epochs):
    dc.set_default_dtype("float64")
    dp = None if mode == "plain" else dc.distributed.DataParallel(timeout=20)
    rank = 0 if dp is None else dp.rank
    x, y = data()
    callbacks = [Marker(f"{out}.chief.rank{rank}")]
    if mode == "stop":
        callbacks.append(StopOnRankOne(rank))
    if mode == "resume":
        model = dc.load(f"{out}.model")
        initial = model.epochs_trained
    else:
        model = new_model(optimizer, jit_compile=mode == "jit")
        initial = 0
        if rank != 0:  # other ranks start from other weights: fit must broadcast rank 0's
            for p in model.parameters():
                p.data[...] = np.random.default_rng(rank).normal(size=p.data.shape)
    history = model.fit(x, y, batch_size=10, epochs=2 if mode == "save" else epochs,
                        initial_epoch=initial, validation_split=0.2, seed=0, verbose=0,
                        callbacks=callbacks, distribute=dp)
    if mode == "save" and rank == 0:
        dc.save(model, f"{out}.model", include_optimizer=True)
    np.savez(f"{out}.rank{rank}.npz", *model.get_weights())
    Path(f"{out}.rank{rank}.json").write_text(json.dumps(
        {"history": history.history, "epochs_trained": model.epochs_trained}))


if __name__ == "__main__":
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    main(sys.argv[1], sys.argv[2], sys.argv[3], epochs)
