"""MNIST and Fashion-MNIST loading: real files, folder lookup, offline downloads, corrupt files.

Nothing here touches the network: downloads come from a server on 127.0.0.1 that the
mirror lists are pointed at.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from descend.data.datasets import mnist
from descend.data.datasets.idx import file_md5
from descend.data.datasets.mnist import (
    FASHION_MNIST,
    MNIST,
    data_dir,
    fetch,
    load_fashion_mnist,
    load_mnist,
)

SHARED_MNIST = Path(__file__).parents[3] / ".." / "shared" / "data" / "mnist"
NAMES = [spec.name for spec in MNIST.files]
needs_mnist = pytest.mark.skipif(
    not all((SHARED_MNIST / name).is_file() for name in NAMES),
    reason=f"the MNIST .gz files are not in {SHARED_MNIST.resolve()}",
)


def _link_mnist(folder: Path, names=NAMES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        os.symlink((SHARED_MNIST / name).resolve(), folder / name)
    return folder


@pytest.fixture(scope="module")
def real_mnist():
    return load_mnist(SHARED_MNIST, download=False)


@needs_mnist
def test_real_mnist(real_mnist):
    (x_train, y_train), (x_test, y_test) = real_mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                             5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                            1009]
    assert x_train.mean() / 255 == pytest.approx(0.1307, abs=5e-5)
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]


@needs_mnist
def test_as_float_scales_to_unit_interval(real_mnist):
    (x_train, _), (x_test, y_test) = load_mnist(SHARED_MNIST, download=False, as_float=True)
    assert x_train.dtype == np.float32 and x_train.min() == 0.0 and x_train.max() == 1.0
    np.testing.assert_array_equal(x_test, real_mnist[1][0] / np.float32(255))
    np.testing.assert_array_equal(y_test, real_mnist[1][1])


def test_default_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("DESCEND_DATA", str(tmp_path / "data"))
    assert data_dir(MNIST) == tmp_path / "data" / "mnist"
    assert data_dir(FASHION_MNIST) == tmp_path / "data" / "fashion-mnist"
    assert data_dir(MNIST, tmp_path / "mine") == tmp_path / "mine"
    monkeypatch.delenv("DESCEND_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir(FASHION_MNIST) == tmp_path / "home" / ".cache" / "descend" / "fashion-mnist"


@needs_mnist
def test_reads_from_descend_data(monkeypatch, tmp_path, real_mnist):
    _link_mnist(tmp_path / "mnist")
    monkeypatch.setenv("DESCEND_DATA", str(tmp_path))
    (_, y_train), _ = load_mnist(download=False)
    np.testing.assert_array_equal(y_train, real_mnist[0][1])


def test_missing_files_without_download(tmp_path):
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, download=False)
    message = str(info.value)
    assert message.startswith(
        f"load_mnist: MNIST file(s) train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        f"t10k-images-idx3-ubyte.gz are not in {tmp_path} and download=False was given.")
    for needed in (*NAMES, "pass path=", "DESCEND_DATA", "mnist/ subfolder", "shared/data/mnist",
                   MNIST.mirrors[0]):
        assert needed in message


@needs_mnist
def test_download_tries_mirrors_in_order_and_verifies(monkeypatch, tmp_path, serve, real_mnist):
    empty = tmp_path / "empty"
    empty.mkdir()
    mirrors = (serve(empty), serve(SHARED_MNIST.resolve()))  # the first answers 404
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(MNIST, mirrors=mirrors))
    target = tmp_path / "cache" / "mnist"
    _link_mnist(target, NAMES[1:2])  # train labels already there: not downloaded again
    (x_train, y_train), (_, y_test) = load_mnist(target)
    np.testing.assert_array_equal(x_train, real_mnist[0][0])
    np.testing.assert_array_equal(y_test, real_mnist[1][1])
    assert sorted(p.name for p in target.iterdir()) == sorted(NAMES)  # no .part files left
    assert (target / NAMES[1]).is_symlink() and not (target / NAMES[0]).is_symlink()
    for name in NAMES:
        if name != NAMES[1]:
            assert (target / name).read_bytes() == (SHARED_MNIST / name).read_bytes()
    (_, again), _ = load_mnist(target, download=False)
    np.testing.assert_array_equal(again, y_train)


def test_failed_downloads_list_every_attempt(monkeypatch, tmp_path, serve):
    empty = tmp_path / "empty"
    empty.mkdir()
    mirrors = (serve(empty), "http://127.0.0.1:1/")
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(MNIST, mirrors=mirrors))
    target = tmp_path / "target"
    with pytest.raises(FileNotFoundError, match=r"are not in .*target and downloading failed:\n"
                                                r"  http://127.0.0.1:\d+/train-images-idx3-ubyte"
                                                r".gz: HTTP Error 404.*\n  http://127.0.0.1:1/"
                                                r"train-images-idx3-ubyte.gz: <urlopen error"):
        load_mnist(target)
    assert list(target.iterdir()) == []


@needs_mnist
def test_a_corrupt_download_is_rejected_and_not_kept(monkeypatch, tmp_path, serve):
    served = _link_mnist(tmp_path / "served", NAMES[:3])
    good = (SHARED_MNIST / NAMES[3]).read_bytes()
    (served / NAMES[3]).write_bytes(good[: len(good) // 2])  # a broken transfer
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(MNIST, mirrors=(serve(served),)))
    target = tmp_path / "target"
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte.gz: .*is not a complete "
                                                r"gzip file"):
        load_mnist(target)
    assert sorted(p.name for p in target.iterdir()) == sorted(NAMES[:3])


@needs_mnist
def test_corrupt_files_on_disk_are_refused_and_regzipped_copies_accepted(tmp_path, real_mnist):
    folder = _link_mnist(tmp_path / "mnist", [NAMES[0], NAMES[2], NAMES[3]])
    raw = gzip.decompress((SHARED_MNIST / NAMES[1]).read_bytes())
    (folder / NAMES[1]).write_bytes(gzip.compress(raw, compresslevel=1))
    (_, y_train), _ = load_mnist(folder, download=False)
    np.testing.assert_array_equal(y_train, real_mnist[0][1])
    changed = bytearray(raw)
    changed[100] = (changed[100] + 1) % 10  # one label changed: still a valid IDX file
    (folder / NAMES[1]).write_bytes(gzip.compress(bytes(changed)))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.gz: sha256 of the decompressed "
                                         r"content is [0-9a-f]+, expected 65a50cbb"):
        load_mnist(folder, download=False)
    (folder / NAMES[1]).write_bytes((SHARED_MNIST / NAMES[1]).read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"is not a complete gzip file"):
        load_mnist(folder)  # present but corrupt: refused, not silently re-downloaded


@needs_mnist
def test_fetch_refuses_oversized_responses(tmp_path, serve):
    url = serve(SHARED_MNIST.resolve()) + NAMES[1]
    fetch(url, tmp_path / "ok", max_bytes=10**6)
    assert (tmp_path / "ok").read_bytes() == (SHARED_MNIST / NAMES[1]).read_bytes()
    with pytest.raises(OSError, match=r"sent more than 1000 bytes"):
        fetch(url, tmp_path / "big", max_bytes=1000)


@pytest.fixture(scope="module")
def fake_fashion(tmp_path_factory, write_idx):
    """Files with Fashion-MNIST's names and shapes (not its pixels) in a folder."""
    folder = tmp_path_factory.mktemp("fashion")
    rng = np.random.default_rng(0)
    arrays = []
    for spec in FASHION_MNIST.files:
        values = (rng.integers(0, 10, spec.shape) if len(spec.shape) == 1
                  else np.zeros(spec.shape, dtype=np.uint8))
        if len(spec.shape) == 3:
            values[:, 14, 14] = np.arange(spec.shape[0]) % 256
        write_idx(folder / spec.name, values)
        arrays.append(values)
    return folder, arrays


def test_fashion_mnist_from_a_folder(fake_fashion):
    folder, arrays = fake_fashion
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(folder, download=False)
    assert x_train.shape == (60000, 28, 28) and y_test.shape == (10000,)
    assert y_train.dtype == np.int64
    np.testing.assert_array_equal(x_test, arrays[2])
    np.testing.assert_array_equal(y_train, arrays[1])


def test_fashion_labels_outside_0_to_9_are_refused(fake_fashion, tmp_path, write_idx):
    folder, _ = fake_fashion
    for spec in FASHION_MNIST.files[:3]:
        os.symlink(folder / spec.name, tmp_path / spec.name)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(10000, 10))
    with pytest.raises(ValueError, match=r"holds the value 10, but t10k-labels-idx1-ubyte.gz "
                                         r"values must be at most 9"):
        load_fashion_mnist(tmp_path)


def test_fashion_downloads_must_match_the_published_md5(monkeypatch, fake_fashion, tmp_path,
                                                        serve):
    folder, arrays = fake_fashion
    base = serve(folder)
    monkeypatch.setattr(mnist, "FASHION_MNIST",
                        dataclasses.replace(FASHION_MNIST, mirrors=(base,)))
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.gz: md5 [0-9a-f]{32} "
                                                r"is not the published "
                                                r"8d4fb7e6c68d591d4c3dfef9ec88bf0d"):
        load_fashion_mnist(tmp_path / "rejected")
    assert list((tmp_path / "rejected").iterdir()) == []
    trusted = tuple(dataclasses.replace(spec, gz_md5=file_md5(folder / spec.name))
                    for spec in FASHION_MNIST.files)
    monkeypatch.setattr(mnist, "FASHION_MNIST",
                        dataclasses.replace(FASHION_MNIST, files=trusted, mirrors=(base,)))
    (x_train, _), (_, y_test) = load_fashion_mnist(tmp_path / "accepted")
    np.testing.assert_array_equal(x_train, arrays[0])
    np.testing.assert_array_equal(y_test, arrays[3])
    assert sorted(p.name for p in (tmp_path / "accepted").iterdir()) == sorted(
        spec.name for spec in FASHION_MNIST.files)


def test_the_mirror_lists_name_the_canonical_hosts():
    assert all(m.endswith("/") for m in (*MNIST.mirrors, *FASHION_MNIST.mirrors))
    assert any("ossci-datasets" in m for m in MNIST.mirrors)
    assert any("zalandoresearch/fashion-mnist" in m for m in FASHION_MNIST.mirrors)
