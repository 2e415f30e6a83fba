"""IDX reading: a file is either fully valid or refused with an error naming it."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from descend.data.datasets.idx import IdxFile, file_md5, parse_idx, read_idx

IMAGES = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
# the IDX encoding of IMAGES is 16 header bytes, then 0, 1, ..., 23
SPEC = IdxFile("images.gz", (2, 3, 4), sha256=hashlib.sha256(
    bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, *range(24)])).hexdigest())


def test_round_trip_gives_a_writable_copy(tmp_path, write_idx):
    values = read_idx(write_idx(tmp_path / "images.gz", IMAGES), SPEC)
    np.testing.assert_array_equal(values, IMAGES)
    assert values.dtype == np.uint8 and values.flags.writeable
    assert SPEC.size == 4 + 3 * 4 + 24


def test_sha256_is_of_the_decompressed_content(tmp_path, write_idx):
    fast = write_idx(tmp_path / "a.gz", IMAGES, level=1)
    small = write_idx(tmp_path / "b.gz", IMAGES, level=9)
    for path in (fast, small):  # differently compressed, same content: both accepted
        np.testing.assert_array_equal(read_idx(path, SPEC), IMAGES)
    changed = IMAGES.copy()
    changed[1, 2, 3] += 1
    with pytest.raises(ValueError, match=r"c.gz: sha256 of the decompressed content is "
                                         r"[0-9a-f]{64}, expected [0-9a-f]{64}; the file is "
                                         r"corrupt"):
        read_idx(write_idx(tmp_path / "c.gz", changed), SPEC)


def test_truncated_gzip_is_refused(tmp_path, write_idx):
    path = write_idx(tmp_path / "images.gz", IMAGES)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"images.gz: is not a complete gzip file .*truncated or "
                                         r"corrupt"):
        read_idx(path, SPEC)


def test_a_broken_crc_is_refused(tmp_path, write_idx):
    path = write_idx(tmp_path / "images.gz", IMAGES)
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF  # the CRC-32 in the gzip trailer
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"is not a complete gzip file \(CRC check failed"):
        read_idx(path, IdxFile("images.gz", (2, 3, 4)))


def test_not_gzip_at_all(tmp_path, idx_bytes):
    path = tmp_path / "images.gz"
    path.write_bytes(idx_bytes(IMAGES))  # forgot to compress
    with pytest.raises(ValueError, match=r"is not a complete gzip file \(Not a gzipped file"):
        read_idx(path, SPEC)


def test_decompression_stops_past_the_expected_size(tmp_path, idx_bytes):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(IMAGES) + bytes(10**6)))
    with pytest.raises(ValueError, match=r"decompressed to 41 bytes, expected 40 for images.gz"):
        read_idx(path, SPEC)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda encode: encode(IMAGES)[:-1], r"decompressed to 39 bytes, expected 40 .*truncated"),
        (lambda encode: bytes([0, 0, 9, 3]) + encode(IMAGES)[4:],
         r"wrong IDX magic number 00000903, expected 00000803 \(unsigned bytes, 3 dimension"),
        (lambda encode: encode(IMAGES.reshape(3, 2, 4)),
         r"the IDX header says shape \(3, 2, 4\), expected \(2, 3, 4\)"),
    ],
)
def test_bad_content(damage, message, idx_bytes):
    with pytest.raises(ValueError, match=message):
        parse_idx(damage(idx_bytes), SPEC, "somewhere/images.gz")


def test_label_range(idx_bytes):
    spec = IdxFile("labels.gz", (3,), max_value=9)
    np.testing.assert_array_equal(parse_idx(idx_bytes(np.array([0, 9, 3])), spec, "l"), [0, 9, 3])
    with pytest.raises(ValueError, match=r"l: holds the value 12, but labels.gz values must be at "
                                         r"most 9"):
        parse_idx(idx_bytes(np.array([0, 12, 3])), spec, "l")


def test_file_md5(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"descend")
    assert file_md5(path) == hashlib.md5(b"descend").hexdigest()
