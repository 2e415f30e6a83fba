"""dc.save: stale temporaries cleaned, permissions kept, identical bytes, clear folder errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import descend as dc
from descend import paths
from descend.io import model_file as model_io


def _model() -> dc.Sequential:
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(4, activation="relu", input_dim=3), dc.nn.BatchNorm(),
                           dc.nn.Dense(2, activation="softmax")])
    model.compile(dc.optim.Adam(lr=0.01), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.ones((4, 3), np.float32), np.eye(2, dtype=np.float32)[[0, 1, 0, 1]],
              epochs=1, verbose=0, seed=0)
    return model


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_next_save_removes_temporaries_left_by_crashed_saves(tmp_path):
    path = tmp_path / "m.safetensors"
    crashed = tmp_path / f".m.safetensors.{_dead_pid()}-0badf00d.tmp"
    crashed.write_bytes(b"half a model")
    old_style = tmp_path / ".m.safetensors.a1b2c3d4.tmp"  # mkstemp's name, before pids
    old_style.write_bytes(b"half a model")
    long_ago = time.time() - 2 * paths.LEGACY_TEMPORARY_AGE
    os.utime(old_style, (long_ago, long_ago))
    recent_old_style = tmp_path / ".m.safetensors.e5f6g7h8.tmp"
    recent_old_style.write_bytes(b"maybe being written")
    live = tmp_path / f".m.safetensors.{os.getppid()}-0123abcd.tmp"  # a running process's
    live.write_bytes(b"being written")
    other_target = tmp_path / f".n.safetensors.{_dead_pid()}-0badf00d.tmp"
    other_target.write_bytes(b"another file's")
    dc.save(_model(), path)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([path.name, recent_old_style.name, live.name, other_target.name])


def test_a_save_killed_mid_write_keeps_the_old_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "m.safetensors"
    model = _model()
    dc.save(model, path)
    before = path.read_bytes()
    script = (f"import os, descend as dc, descend.io as io\n"
              f"m = dc.load({str(path)!r})\n"
              "def killed(f, *a):\n"
              "    f.write(b'partial'); f.flush(); os._exit(9)\n"
              "io.tensorfile.write = killed\n"
              f"dc.save(m, {str(path)!r})\n")
    run = subprocess.run([sys.executable, "-c", script], env={**os.environ}, check=False)
    assert run.returncode == 9
    assert path.read_bytes() == before
    assert len(list(tmp_path.glob(".m.safetensors.*.tmp"))) == 1  # what the crash left
    dc.save(model, path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_saving_over_a_file_keeps_its_mode_and_a_new_file_gets_the_umask(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    path.chmod(0o644)
    dc.save(_model(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o640)
    dc.save(_model(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    old = os.umask(0o027)
    try:
        dc.save(_model(), tmp_path / "new.safetensors")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.safetensors").stat().st_mode) == 0o640


SAVE = """
import sys, descend as dc
from test_io_saving import _model
dc.save(_model(), sys.argv[1], include_optimizer=True)
"""


def test_the_same_model_gives_the_same_bytes_in_different_processes(tmp_path):
    files = []
    for seed in ("0", "12345"):
        files.append(tmp_path / f"m{seed}.safetensors")
        path = os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
        subprocess.run([sys.executable, "-c", SAVE, str(files[-1])], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": path})
    assert files[0].read_bytes() == files[1].read_bytes()
    dc.save(dc.load(files[0]), tmp_path / "again.safetensors", include_optimizer=True)
    assert (tmp_path / "again.safetensors").read_bytes() == files[0].read_bytes()


def test_saving_to_a_folder_or_into_a_missing_folder_says_what_was_expected(tmp_path):
    with pytest.raises(ValueError, match=rf"save: {tmp_path} is a folder; expected a file path "
                                         r"such as .*model.safetensors"):
        dc.save(_model(), tmp_path)
    with pytest.raises(FileNotFoundError, match=r"save: cannot write m.safetensors: the folder "
                                                r".*no/such does not exist"):
        dc.save(_model(), tmp_path / "no" / "such" / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_a_temporary_being_written_by_this_process_is_never_removed(tmp_path):
    path = tmp_path / "m.safetensors"
    seen = []

    def write_and_look(file):
        seen.append(paths.remove_stale_temporaries(path))
        file.write(b"x")

    paths.atomic_write(path, write_and_look)
    assert seen == [[]] and path.read_bytes() == b"x"


def test_writing_keeps_the_file_readable_by_safetensors(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "m.safetensors"
    model = _model()
    dc.save(model, path, include_optimizer=True)
    theirs = st.load_file(str(path))
    ours, _ = model_io.read(path)
    assert sorted(theirs) == sorted(ours)
    for name, value in theirs.items():
        np.testing.assert_array_equal(ours[name], value)
