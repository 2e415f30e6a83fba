"""``dc.callbacks.Dashboard``: watch any ``fit`` live in the browser.

The callback starts the local server on its first use (or reuses the one this process
started) and prints the page's address. At most ``rate`` times a second it hands the page
every epoch ended since its last message (the epoch's logs, ``val_*`` included, and learning
rate) and the latest batch's running loss and metrics, learning rate and every layer's
gradient norm; a histogram of each layer's weights comes at most 4 times a second (and at
the end). The page's Stop button sets ``model.stop_training``.

>>> import numpy as np, descend as dc
>>> from descend.serve.dashboard import Dashboard
>>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
>>> board = Dashboard(port=0, quiet=True)
>>> _ = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, batch_size=4, verbose=0,
...               callbacks=[board])
>>> board.run.status, [e["epoch"] for e in board.run.since(0) if e["type"] == "epoch"]
('done', [1, 2])
"""

from __future__ import annotations

import math
import time
import webbrowser
from collections import defaultdict
from typing import Any

import numpy as np

from descend.train.callbacks import Callback

HISTOGRAM_INTERVAL = 0.25
"""Seconds between two epochs that bring weight histograms and gradient norms (the end of
training brings the last histograms too)."""


class Dashboard(Callback):
    """Show this fit on the dashboard page (``http://127.0.0.1:8000/dashboard``).

    A ``descend serve`` already listening on ``port`` shows it (the events are posted to it);
    otherwise this process starts its own server, once, and every later fit reuses it.

    Each batch and epoch costs the fit only a few attribute updates: what the page needs is
    handed over at most ``rate`` times a second, in one message: every epoch ended since the
    last one (the curves get every epoch's point), then the running loss and metrics of the
    latest batch with each layer's gradient norm.

    Args:
        title: the run's name on the page (default: the model's class and parameter count).
        port: the port to serve on when no server runs yet (a free one if it is taken).
        keep: how many runs the page remembers (the oldest finished ones are forgotten).
        rate: at most this many updates a second (each costs the page's server, a thread of
            this process when it started one, some work beside the fit: 10 a second keep the
            charts live and the cost small; see ``benchmarks/profiles/dashboard.md``).
        bins: the number of bars in each weight histogram.
        open_browser: open the page in the browser when training starts.
        quiet: do not print the page's address.
    """

    def __init__(self, title: str | None = None, *, port: int = 8000, keep: int = 20,
                 rate: float = 10.0, bins: int = 30, open_browser: bool = False,
                 quiet: bool = False) -> None:
        super().__init__()
        if not (rate > 0 and bins >= 2 and keep >= 1):
            raise ValueError(f"Dashboard: rate must be > 0, bins >= 2 and keep >= 1, got "
                             f"rate={rate!r}, bins={bins!r}, keep={keep!r}")
        self.title, self.port, self.keep = title, port, keep
        self.interval, self.bins = 1.0 / rate, bins
        self.open_browser, self.quiet = open_browser, quiet
        self.run: Any = None
        self.url: str | None = None
        self._due = self._drawn = 0.0
        self._epoch = self._step = 0
        self._epochs: list[tuple[int, int, dict[str, Any]]] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        from descend.serve import local, remote

        count = sum(p.data.size for p in self.model.parameters())
        title = self.title or f"{type(self.model).__name__} ({count:,} parameters)"
        info = {"summary": self.model.summary(print_fn=None),
                "params": {k: v for k, v in self.params.items()
                           if isinstance(v, int | float | str | list)}}
        ours = local.running()
        other = None
        if self.port and (ours is None or ours.port != self.port):
            other = remote.probe(self.port)  # a `descend serve` already listening there
        if other is not None:
            self.run = remote.RemoteRun(self.port, title, info)
            base = other
        else:
            server = local.ensure_server(port=self.port, keep=self.keep)
            self.run = server.manager.register("fit", title, info)
            base = server.url
        self.url = f"{base}dashboard?run={self.run.id}"
        self._due, self._drawn, self._step, self._epochs = 0.0, 0.0, 0, []
        if not self.quiet:
            print(f"Dashboard: {self.url}", flush=True)
        if self.open_browser:
            webbrowser.open(self.url)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch + 1

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._step += 1
        if self.run.stop_requested.is_set():
            self.model.stop_training = True
        if time.perf_counter() >= self._due:
            self._send({"type": "batch", "epoch": self._epoch, "batch": batch + 1,
                        "step": self._step, "logs": _numbers(logs), "lr": self._lr(),
                        "grad_norms": grad_norms(self.model)})

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epochs.append((epoch + 1, self._step, dict(logs or {})))
        if time.perf_counter() >= self._due:
            self._send()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._send({"type": "weights", "step": self._step,
                    "histograms": histograms(self.model, self.bins)})
        self.run.finish("stopped" if self.run.stop_requested.is_set() else "done")

    def _send(self, last: dict[str, Any] | None = None) -> None:
        """Hand the epochs ended since the last message, then ``last``, to the run as one
        message; the newest epoch brings the weights' histograms and gradient norms at most
        every :data:`HISTOGRAM_INTERVAL` seconds (not the histograms when ``last`` is the
        end's ``weights`` event, which has them already)."""
        now = time.perf_counter()
        events = [{"type": "epoch", "epoch": epoch, "step": step, "logs": _numbers(logs),
                   "lr": logs.get("lr")} for epoch, step, logs in self._epochs]
        if events and now - self._drawn >= HISTOGRAM_INTERVAL:
            self._drawn = now
            events[-1]["grad_norms"] = grad_norms(self.model)
            if not (last and last["type"] == "weights"):
                events[-1]["histograms"] = histograms(self.model, self.bins)
        self.run.emit_many(events + ([last] if last else []))
        self._epochs = []
        self._due = now + self.interval

    def _lr(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        groups = getattr(optimizer, "param_groups", None)
        return float(groups[0]["lr"]) if groups else None


def _numbers(logs: dict[str, Any] | None) -> dict[str, float]:
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def _layer(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


def grad_norms(model: Any) -> dict[str, float]:
    """Each layer's gradient norm (all its parameters' gradients together).

    >>> import descend as dc
    >>> model = dc.Sequential([dc.nn.Dense(1, input_dim=2)])
    >>> grad_norms(model)
    {}
    """
    squares: dict[str, float] = defaultdict(float)
    for name, param in model.named_parameters():
        if param.grad is not None:
            grad = np.asarray(param.grad.data, dtype=np.float64).ravel()
            squares[_layer(name)] += float(grad @ grad)
    return {layer: math.sqrt(total) for layer, total in squares.items()}


def histograms(model: Any, bins: int = 30) -> dict[str, dict[str, list[float]]]:
    """A histogram of each layer's weights (kernels and biases together): ``edges``, ``counts``.

    >>> import descend as dc
    >>> h = histograms(dc.Sequential([dc.nn.Dense(3, input_dim=2)]), bins=4)
    >>> list(h), len(h["0"]["edges"]), sum(h["0"]["counts"])
    (['0'], 5, 9)
    """
    values: dict[str, list[np.ndarray]] = defaultdict(list)
    for name, param in model.named_parameters():
        values[_layer(name)].append(np.asarray(param.data).ravel())
    out = {}
    for layer, arrays in values.items():
        data = np.concatenate(arrays)
        data = data[np.isfinite(data)]
        counts, edges = np.histogram(data, bins=bins) if data.size else (np.zeros(bins),
                                                                          np.arange(bins + 1.0))
        out[layer] = {"edges": edges.tolist(), "counts": counts.tolist()}
    return out
