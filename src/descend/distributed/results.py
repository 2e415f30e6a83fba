"""What a sweep returns: one :class:`TrialResult` per trial, gathered in a :class:`SweepResult`.

A trial's function returns its final metrics (``{"val_loss": 0.3}``), a ``History`` or its
``.history`` dict: :func:`read_outcome` takes each number as a final metric and each list of
numbers as a curve whose last value is the final metric.

>>> trials = [TrialResult(0, {"lr": 0.1}, 7, {"loss": 0.5}, {}, 0.2),
...           TrialResult(1, {"lr": 0.01}, 8, {"loss": 0.25}, {}, 0.3)]
>>> result = SweepResult(trials)
>>> result.best("loss").settings
{'lr': 0.01}
>>> print(result.table(columns=["lr", "loss"]))
trial    lr  loss
    1  0.01  0.25
    0   0.1   0.5
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from descend.distributed.space import WHERE, Value


@dataclass(frozen=True)
class TrialResult:
    """One trial: its settings, its seed, what it measured, how long it took, or its error.

    Attributes:
        index: the trial's place in the sweep (0, 1, ...).
        settings: the hyperparameters it ran with.
        seed: the seed ``dc.seed`` was given before it ran.
        metrics: final metrics by name (empty when it failed).
        history: curves by name (``{"loss": [per epoch]}``), when the function returned them.
        seconds: wall-clock time of the trial.
        error: ``"ValueError: ..."`` when the trial raised, else ``None``.
    """

    index: int
    settings: dict[str, Value]
    seed: int
    metrics: dict[str, float]
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def record(self) -> dict[str, Any]:
        """A flat row: ``trial``, the settings, ``seed``, the metrics, ``seconds``, ``error``.

        >>> TrialResult(3, {"lr": 0.1}, 5, {"loss": 0.5}).record()
        {'trial': 3, 'lr': 0.1, 'seed': 5, 'loss': 0.5, 'seconds': 0.0, 'error': None}
        """
        return {"trial": self.index, **self.settings, "seed": self.seed, **self.metrics,
                "seconds": self.seconds, "error": self.error}


def read_outcome(outcome: Any) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Final metrics and curves from what a trial function returned.

    >>> read_outcome({"loss": [1.0, 0.5], "test_mse": 0.7})
    ({'loss': 0.5, 'test_mse': 0.7}, {'loss': [1.0, 0.5]})
    >>> read_outcome(0.5)
    Traceback (most recent call last):
    ...
    TypeError: sweep: the trial function must return a dict of metrics ... or a History, got float
    """
    data = getattr(outcome, "history", outcome)
    if not isinstance(data, Mapping):
        raise TypeError(f"{WHERE}: the trial function must return a dict of metrics (numbers "
                        "or lists of numbers per epoch) or a History, got "
                        f"{type(outcome).__name__}")
    metrics: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    for name, value in data.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            if not value:
                continue
            curves[str(name)] = [_number(name, v) for v in value]
            metrics[str(name)] = curves[str(name)][-1]
        else:
            metrics[str(name)] = _number(name, value)
    return metrics, curves


def _number(name: Any, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{WHERE}: metric {name!r} must be a number or a list of numbers, got "
                        f"{type(value).__name__} {value!r}") from None


class SweepResult:
    """Every trial of a sweep, in trial order, with ways to rank, print and export them.

    ``len(result)``, iteration and ``result[i]`` give the :class:`TrialResult` objects.
    """

    def __init__(self, trials: Sequence[TrialResult]) -> None:
        self.trials = sorted(trials, key=lambda t: t.index)

    def __len__(self) -> int:
        return len(self.trials)

    def __iter__(self) -> Iterator[TrialResult]:
        return iter(self.trials)

    def __getitem__(self, index: int) -> TrialResult:
        return self.trials[index]

    def __repr__(self) -> str:
        failed = sum(t.error is not None for t in self.trials)
        return f"SweepResult({len(self)} trials, {failed} failed)"

    @property
    def setting_names(self) -> list[str]:
        """The hyperparameters, in the order the space gave them."""
        return list(self.trials[0].settings) if self.trials else []

    @property
    def varying_settings(self) -> list[str]:
        """The hyperparameters that take more than one value across the trials."""
        return [n for n in self.setting_names
                if len({repr(t.settings[n]) for t in self.trials}) > 1]

    @property
    def metric_names(self) -> list[str]:
        """Every metric some trial measured, in first-seen order."""
        names: dict[str, None] = {}
        for trial in self.trials:
            names.update(dict.fromkeys(trial.metrics))
        return list(names)

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per trial (see :meth:`TrialResult.record`), in trial order."""
        return [t.record() for t in self.trials]

    def ranked(self, metric: str, *, mode: str = "min") -> list[TrialResult]:
        """The trials that measured ``metric`` (finite), best first; failed trials left out.

        >>> r = SweepResult([TrialResult(0, {}, 0, {"acc": 0.9}),
        ...                  TrialResult(1, {}, 0, {"acc": 0.8})])
        >>> [t.index for t in r.ranked("acc", mode="max")]
        [0, 1]
        """
        if mode not in ("min", "max"):
            raise ValueError(f"{WHERE}: mode must be 'min' or 'max', got {mode!r}")
        if self.trials and metric not in self.metric_names:
            raise ValueError(f"{WHERE}: no trial measured {metric!r}; the metrics are "
                             f"{', '.join(self.metric_names) or 'none (every trial failed)'}")
        scored = [t for t in self.trials
                  if metric in t.metrics and math.isfinite(t.metrics[metric])]
        return sorted(scored, key=lambda t: t.metrics[metric], reverse=mode == "max")

    def best(self, metric: str, *, mode: str = "min") -> TrialResult:
        """The best trial by ``metric`` (``mode="min"`` for losses, ``"max"`` for accuracies)."""
        ranked = self.ranked(metric, mode=mode)
        if not ranked:
            raise ValueError(f"{WHERE}: no trial has a finite {metric!r}")
        return ranked[0]

    def table(self, *, sort_by: str | None = None, mode: str = "min",
              columns: Sequence[str] | None = None) -> str:
        """The trials as a text table, best first by ``sort_by`` (default: the first metric);
        failed trials last, with their error."""
        metric = sort_by or (self.metric_names[0] if self.metric_names else None)
        order = self.ranked(metric, mode=mode) if metric else []
        order += [t for t in self.trials if t not in order]
        columns = list(columns) if columns is not None else self._columns()[1:-1]
        header = ["trial", *columns]
        rows = [[_cell(record.get(c)) for c in header]
                for record in (t.record() for t in order)]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in [header, *rows]]
        lines += [f"trial {t.index} failed: {t.error}" for t in order if t.error]
        return "\n".join(lines)

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write :meth:`records` as CSV (one row per trial, a column per setting and metric).

        The folder must exist.
        """
        columns = self._columns()
        folder = os.path.dirname(os.fspath(path)) or "."
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{WHERE}: cannot write {os.fspath(path)!r}: the folder "
                                    f"{folder!r} does not exist")
        with open(path, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns)
            writer.writeheader()
            writer.writerows(self.records())

    def _columns(self) -> list[str]:
        """trial, the settings, seed (unless a setting), the metrics, seconds, error."""
        seed = [] if "seed" in self.setting_names else ["seed"]
        return ["trial", *self.setting_names, *seed, *self.metric_names, "seconds", "error"]

    def to_dataframe(self) -> Any:
        """The records as a pandas DataFrame (needs pandas)."""
        try:
            import pandas
        except ImportError:
            raise ImportError(f"{WHERE}: to_dataframe needs pandas (pip install pandas); "
                              "records() and to_csv() work without it") from None
        return pandas.DataFrame(self.records())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
