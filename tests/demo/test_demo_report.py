"""The demos' printing helpers and setting checks: tables, the progress line, hold-out splits."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from descend.demo.report import ModelLine, format_table
from descend.demo.settings import between_0_and_1, hold_out, positive_int, positive_number


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _train(line: ModelLine, losses: list[float]) -> None:
    line.set_params({"epochs": len(losses)})
    line.on_train_begin()
    for epoch, loss in enumerate(losses):
        line.on_epoch_end(epoch, {"loss": loss, "val_loss": 2 * loss})
    line.on_train_end()


def test_model_line_on_a_terminal_rewrites_one_line_in_place():
    out = Terminal()
    _train(ModelLine("MLP", stream=out, width=5), [12345.0, 2.0, 1.0])
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("s\n")
    frames = text[:-1].split("\r")[1:]
    assert [f.split()[1] for f in frames] == ["1/3", "2/3", "3/3", "3/3"]
    assert len({len(f) for f in frames[:-1]}) == 1  # shorter figures padded over longer ones
    assert frames[-1].startswith("MLP    3/3 epochs   loss    1.00   val_loss    2.00   ")


def test_model_line_elsewhere_writes_only_the_finished_line():
    out = io.StringIO()
    _train(ModelLine("linear", stream=out), [3.0, 2.0])
    assert re.fullmatch(r"linear  2/2 epochs   loss    2\.00   val_loss    4\.00   \d+\.\ds\n",
                        out.getvalue())


def test_format_table_aligns_and_checks_its_input():
    text = format_table(["a", "bb", "c"], [["xxx", "1", "left"]], align="lrl", gap=1)
    assert text.splitlines() == ["a   bb c", "xxx  1 left"]
    with pytest.raises(ValueError, match=re.escape("a row has 2 cells but the header has 3")):
        format_table(["a", "b", "c"], [["1", "2"]])
    with pytest.raises(ValueError, match="align must be one 'l' or 'r' per column"):
        format_table(["a", "b"], [], align="lx")
    with pytest.raises(ValueError, match="groups span 3 columns but the header has 2"):
        format_table(["a", "b"], [], groups=[("x", 3)])


def test_group_titles_are_centred_over_their_columns():
    lines = format_table(["model", "train", "test"], [["lin", "1.00", "2.00"]],
                         groups=[("", 1), ("MSE", 2)]).splitlines()
    title = lines[0].index("MSE")
    first, last = lines[1].index("train"), lines[1].index("test") + len("test")
    assert abs((title + 1.5) - (first + last) / 2) <= 1


def test_hold_out_takes_the_last_rows_and_refuses_empty_parts():
    x, y = np.arange(333), np.arange(333) * 2
    (x_fit, y_fit), (x_val, y_val) = hold_out(x, y, 0.2, "demo")
    assert len(x_fit) == 266 and x_val[0] == 266
    assert np.array_equal(y_fit, x_fit * 2) and np.array_equal(y_val, x_val * 2)
    assert [len(part[0]) for part in hold_out(x[:3], y[:3], 0.1, "demo")] == [2, 1]
    with pytest.raises(ValueError, match=re.escape(
            "demo: 1 training rows cannot be split into training and validation rows with "
            "validation_split 0.5; use more rows")):
        hold_out(x[:1], y[:1], 0.5, "demo")


@pytest.mark.parametrize(("check", "value", "message"), [
    (positive_int, True, "n must be a positive integer, got True"),
    (positive_int, 1.0, "n must be a positive integer, got 1.0"),
    (positive_number, "1", "n must be a positive number, got '1'"),
    (positive_number, float("inf"), "n must be a positive number, got inf"),
    (between_0_and_1, 0.0, "n must be a fraction between 0 and 1, got 0.0"),
])
def test_checks_name_the_setting_and_the_value(check, value, message):
    with pytest.raises(ValueError, match=re.escape(f"demo x: {message}")):
        check(value, "n", "demo x")
