"""What the demos print: aligned tables, and one progress line per model while it trains.

>>> from descend.demo.report import format_table
>>> print(format_table(["model", "test MSE"], [["linear", "28.41"], ["2 hidden", "17.10"]]))
model     test MSE
linear       28.41
2 hidden     17.10
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from descend.train.callbacks import Callback, Logs

DASH = "–"
"""What a table shows where a figure does not apply."""


def number(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, or an en dash for None.

    >>> number(3.14159), number(None), number(12.0, 0)
    ('3.14', '–', '12')
    """
    return DASH if value is None else f"{value:.{digits}f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], *,
                 indent: str = "", gap: int = 3, align: str | None = None,
                 groups: Sequence[tuple[str, int]] | None = None) -> str:
    """Align ``rows`` of strings under ``header``: by default the first column left, the
    others right (numbers).

    Args:
        header: one title per column.
        rows: the cells, already formatted, each row as long as ``header``.
        indent: put before every line.
        gap: spaces between columns.
        align: one letter per column, ``"l"`` (left) or ``"r"`` (right).
        groups: an extra title line above the header: ``(title, columns spanned)`` pairs
            from the left, each title centred over its columns.

    Returns:
        The table as one string, one line per row (trailing spaces removed).

    Raises:
        ValueError: if a row's length, ``align``'s or the columns ``groups`` span differ
            from the header's.

    >>> print(format_table(["feature", "weight"], [["rm", "2.90"], ["lstat", "-3.61"]],
    ...                    indent="  "))
      feature   weight
      rm          2.90
      lstat      -3.61
    >>> print(format_table(["model", "train", "test"], [["linear", "16.09", "28.41"]],
    ...                    groups=[("", 1), ("MSE", 2)]))
                  MSE
    model    train    test
    linear   16.09   28.41
    """
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"format_table: a row has {len(row)} cells but the header has "
                             f"{len(header)} columns: {list(row)!r}")
    align = "l" + "r" * (len(header) - 1) if align is None else align
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"format_table: align must be one 'l' or 'r' per column ("
                         f"{len(header)}), got {align!r}")
    table = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [] if groups is None else [indent + _group_line(groups, widths, gap)]
    for row in table:
        cells = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)]
        lines.append((indent + (" " * gap).join(cells)).rstrip())
    return "\n".join(lines)


def _group_line(groups: Sequence[tuple[str, int]], widths: list[int], gap: int) -> str:
    if sum(span for _, span in groups) != len(widths):
        raise ValueError(f"format_table: groups span {sum(span for _, span in groups)} "
                         f"columns but the header has {len(widths)}")
    parts, first = [], 0
    for title, span in groups:
        width = sum(widths[first:first + span]) + gap * (span - 1)
        parts.append(title.center(width))
        first += span
    return (" " * gap).join(parts).rstrip()


class ModelLine(Callback):
    """One line per model while ``fit`` runs: its name, the epoch count, loss and val_loss.

    On a terminal the line is rewritten in place after every epoch; elsewhere (a file, a
    pipe, a notebook log) only the finished line is written, so logs stay one line per model.

    Args:
        label: the model's name, padded to ``width`` characters.
        stream: where to write (default: ``sys.stdout`` at the time of writing).
        width: the column the epoch count starts at.

    >>> import io
    >>> out = io.StringIO()
    >>> line = ModelLine("linear regression", stream=out, width=20)
    >>> line.set_params({"epochs": 2}); line.on_train_begin()
    >>> line.on_epoch_end(0, {"loss": 30.0, "val_loss": 50.0})
    >>> line.on_epoch_end(1, {"loss": 16.0, "val_loss": 48.0}); line.on_train_end()
    >>> out.getvalue()  # doctest: +ELLIPSIS
    'linear regression      2/2 epochs   loss   16.00   val_loss   48.00   ...s\\n'
    """

    chief_only = True

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 0) -> None:
        super().__init__()
        self.label, self.stream, self.width = label, stream, width
        self._start = 0.0
        self._text = ""
        self._shown = 0

    def _out(self) -> TextIO:
        return self.stream or sys.stdout

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        total = str(self.params.get("epochs", "?"))
        figures = "".join(f"   {key} {(logs or {})[key]:7.2f}" for key in ("loss", "val_loss")
                          if key in (logs or {}))
        self._text = (f"{self.label:<{self.width}}  {epoch + 1:>{len(total)}}/{total} "
                      f"epochs{figures}")
        if _is_terminal(self._out()):  # pad over a longer previous line
            self._out().write("\r" + self._text.ljust(self._shown))
            self._out().flush()
            self._shown = max(self._shown, len(self._text))

    def on_train_end(self, logs: Logs | None = None) -> None:
        seconds = time.perf_counter() - self._start
        line = f"{self._text}   {seconds:.1f}s"
        if _is_terminal(self._out()):
            line = "\r" + line.ljust(self._shown)
        self._out().write(line + "\n")
        self._out().flush()


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
