"""Tutorial 11: classify handwritten digits. The MNIST recipe (a ReLU MLP, Adam, softmax
cross-entropy) on the 8×8 digits packaged with descend, which need no download.
Run: python examples/tutorial_11_digits.py [OUT_DIR]   (default: docs/images/course)
For the real MNIST (downloaded on first use): descend demo mnist --plot mnist.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import descend as dc


def main(out: str | Path = "docs/images/course", epochs: int = 30) -> dict:
    x, y = dc.datasets.load_digits()
    x_train, x_test, y_train, y_test = dc.data.train_test_split(x, y, test_size=0.25, seed=0,
                                                                stratify=y)
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(128, activation="relu", input_dim=64),
                           dc.nn.Dense(10, activation="softmax")])
    model.compile(optimizer=dc.optim.Adam(lr=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.2,
                        seed=0, verbose=0)
    predicted = model.predict(x_test).argmax(axis=1)
    accuracy = float(np.mean(predicted == y_test))
    print(f"test accuracy {100 * accuracy:.1f} % on {len(y_test)} digits")
    path = Path(out) / "11_digits.png"
    dc.viz.plot_history(history, path=path, title=f"8×8 digits, 64-128-10 ReLU, Adam: test "
                                                  f"accuracy {100 * accuracy:.1f} %")
    return {"accuracy": accuracy, "history": history, "picture": path}


if __name__ == "__main__":
    main(*sys.argv[1:2])
