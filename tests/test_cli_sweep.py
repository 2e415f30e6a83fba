"""``descend sweep boston``: the table best first, the files it writes, its errors."""

from __future__ import annotations

import contextlib
import csv
import io

import pytest
from PIL import Image

from descend.cli import main


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_grid_in_this_process_prints_best_first_and_writes_files(tmp_path):
    code, out, _ = run(["sweep", "boston", "--lr", "0.001,0.1", "--optimizer", "sgd,adam",
                        "--epochs", "5", "--workers", "0", "--quiet", "--out", str(tmp_path)])
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["trial", "model", "optimizer", "lr"]
    val = [float(line.split()[7]) for line in lines[1:5]]
    assert val == sorted(val)
    assert "best by val_loss: trial" in out and "4 trials in this process" in out
    rows = list(csv.DictReader((tmp_path / "sweep.csv").open()))
    assert len(rows) == 4 and {r["optimizer"] for r in rows} == {"sgd", "adam"}
    for name in ("sweep.png", "best_curves.png"):  # drawn as tested in viz/test_sweep_pictures
        with Image.open(tmp_path / name) as image:
            assert image.width >= 700 and image.height >= 300


def test_seeds_multiply_the_grid_on_dask_workers():
    pytest.importorskip("dask.distributed")
    code, out, _ = run(["sweep", "boston", "--seeds", "2", "--epochs", "2", "--workers", "2",
                        "--quiet"])
    assert code == 0 and "2 trials on 2 Dask workers" in out


@pytest.mark.parametrize(("argv", "words"), [
    (["--optimizer", "sgd,nope"], "unknown optimizer 'nope'"),
    (["--model", "mlp"], "unknown model 'mlp'"),
    (["--out", "/no/such/folder"], "--out '/no/such/folder' is not an existing folder"),
])
def test_bad_settings_are_named_before_training(argv, words):
    code, _, err = run(["sweep", "boston", "--workers", "0", "--quiet", *argv])
    assert code == 1 and words in err


def test_bad_numbers_are_refused_by_the_parser():
    with pytest.raises(SystemExit):
        run(["sweep", "boston", "--lr", "0.1,-1"])
