"""dc.load on damaged and crafted files: always a ValueError naming the file, never a crash,
a hang or an allocation much larger than the file.

Each case makes a file from a good one: cut, with its header bytes edited, or rewritten with
edited metadata and a recomputed checksum, as anyone can (the checksum catches damage, not
tampering). Loading must fail with a ``ValueError`` whose message names the file and says
what is wrong, while tracemalloc sees at most a small multiple of the file's size allocated.
"""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descend as dc
from descend.io import model_file as model_io
from descend.io import tensorfile

Case = Callable[[Path], Path]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A model file with architecture, compile settings, Adam state and training metadata."""
    dc.seed(0)
    model = dc.Sequential([dc.nn.Dense(8, activation="tanh", input_dim=3), dc.nn.Dense(1)])
    model.compile("adam", "mse", metrics=["mae"])
    model.fit(np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32), epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("good") / "good.safetensors"
    dc.save(model, path, include_optimizer=True)
    return path


def _parts(good: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    tensors, metadata = model_io.read(good)
    return {k: np.array(v) for k, v in tensors.items()}, dict(metadata)


def _forge(good: Path, out: Path, *, drop: tuple[str, ...] = (), checksum: bool = True,
           tensors: dict[str, np.ndarray] | None = None, **metadata: str | None) -> Path:
    """``good`` with metadata entries replaced (None removes one) and tensors replaced or
    dropped, its checksum recomputed (unless ``checksum=False``)."""
    arrays, meta = _parts(good)
    arrays.update(tensors or {})
    for name in drop:
        arrays.pop(name)
    for key, value in metadata.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    if checksum:
        meta["sha256"] = model_io._digest(arrays, meta)
    buffer = io.BytesIO()
    tensorfile.write(buffer, arrays, meta)
    out.write_bytes(buffer.getvalue())
    return out


def _json_with(key: str, **changes: object) -> Callable[[Path], str]:
    """Metadata ``key`` of the good file with some of its JSON object's entries changed."""
    return lambda good: json.dumps({**json.loads(_parts(good)[1][key]), **changes})


def _first_layer(spec: dict) -> dict[str, Callable[[Path], str]]:
    """The good file's architecture with its first layer replaced by ``spec``."""
    def architecture(good: Path) -> str:
        model = json.loads(_parts(good)[1]["architecture"])
        model["config"]["layers"][0] = spec
        return json.dumps(model)
    return {"architecture": architecture}


def _compile_with(**changes: object) -> dict[str, Callable[[Path], str]]:
    return {"compile": _json_with("compile", **changes)}


def _raw(header: bytes, data: bytes = b"", size: int | None = None) -> bytes:
    return (len(header) if size is None else size).to_bytes(8, "little") + header + data


def _header_of(good: Path) -> tuple[dict, bytes]:
    data = good.read_bytes()
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]), data[8 + n:]


def _with_header(good: Path, edit: Callable[[dict], None]) -> bytes:
    header, data = _header_of(good)
    edit(header)
    return _raw(json.dumps(header).encode(), data)


def _set_tensor_info(name: str, field: str, value: object) -> Callable[[dict], None]:
    return lambda header: header[name].__setitem__(field, value)


def _dense(**config: object) -> dict:
    return {"class_name": "Dense", "config": config}


DEEP_LIST = "[" * 100_000 + "]" * 100_000
DEEP_ARCHITECTURE = ('{"class_name": "Sequential", "config": {"layers": '
                     + "[" * 100_000 + "]" * 100_000 + "}}")
NESTED_OBJECTS = '{"a": ' * 100_000 + "1" + "}" * 100_000


# Each case: (id, what the message must say, how to make the file from the good one).
CASES: list[tuple[str, str, Callable[[Path, Path], bytes | Path] | dict]] = [
    # --- the container: sizes, header, byte ranges
    ("empty", "too short to be a model file", lambda g, o: b""),
    ("five-bytes", r"too short to be a model file \(5 bytes\)", lambda g, o: b"\x01" * 5),
    ("cut-10-bytes", "is truncated", lambda g, o: g.read_bytes()[:-10]),
    ("cut-in-header", "is truncated: its header says", lambda g, o: g.read_bytes()[:100]),
    ("header-length-2**63", "is truncated: its header says",
     lambda g, o: (2**63).to_bytes(8, "little") + g.read_bytes()[8:]),
    ("header-length-0", "header is not valid JSON", lambda g, o: _raw(b"", b"xyz")),
    ("header-not-json", "header is not valid JSON", lambda g, o: _raw(b"not json at all!")),
    ("header-not-utf8", "header is not valid JSON", lambda g, o: _raw(b'{"\xff\xfe": 1}')),
    ("header-a-list", "header is a JSON list", lambda g, o: _raw(b"[1, 2]")),
    ("header-nested-100000", "nested too deeply", lambda g, o: _raw(DEEP_LIST.encode())),
    ("header-objects-100000", "nested too deeply", lambda g, o: _raw(NESTED_OBJECTS.encode())),
    ("metadata-not-strings", "__metadata__ must map strings to strings",
     lambda g, o: _with_header(g, lambda h: h["__metadata__"].__setitem__("dtype", 32))),
    ("tensor-no-offsets", "must be described by dtype, shape and data_offsets",
     lambda g, o: _with_header(g, lambda h: h["model/0.bias"].pop("data_offsets"))),
    ("tensor-dtype-F99", "has dtype 'F99'",
     lambda g, o: _with_header(g, _set_tensor_info("model/0.bias", "dtype", "F99"))),
    ("tensor-shape-negative", "expected a list of at most 32 non-negative integers",
     lambda g, o: _with_header(g, _set_tensor_info("model/0.bias", "shape", [-8]))),
    ("tensor-shape-string", "expected a list of at most 32 non-negative integers",
     lambda g, o: _with_header(g, _set_tensor_info("model/0.bias", "shape", "8"))),
    ("tensor-shape-40-axes", "expected a list of at most 32 non-negative integers",
     lambda g, o: _with_header(g, _set_tensor_info("model/0.bias", "shape", [1] * 40))),
    ("tensor-shape-huge", "needs .* bytes but its data_offsets span",
     lambda g, o: _with_header(g, _set_tensor_info("model/0.kernel", "shape",
                                                   [2**40, 2**40]))),
    ("tensor-offsets-reversed", r"expected \[begin, end\] with 0 <= begin <= end",
     lambda g, o: _with_header(g, _set_tensor_info("model/0.bias", "data_offsets", [9, 1]))),
    ("tensor-offsets-overlap", "tensors must follow each other",
     lambda g, o: _with_header(g, lambda h: [h[k].__setitem__("data_offsets", [0, 32])
                                             for k in ("model/0.bias",
                                                       "optimizer/1/exp_avg")])),
    ("stray-bytes-after-data", "stray bytes", lambda g, o: g.read_bytes() + b"\0" * 16),
    # --- the checksum and the format
    ("flipped-data-byte", "has been modified or damaged",
     lambda g, o: g.read_bytes()[:-3] + bytes([g.read_bytes()[-3] ^ 1]) + g.read_bytes()[-2:]),
    ("edited-without-checksum", "has been modified or damaged",
     {"checksum": False, "training": '{"epoch": 9, "seed": 1}'}),
    ("not-descend", "a safetensors file but not a descend model file",
     {"format": "other"}),
    ("format-version-2", "format_version' is '2'", {"format_version": "2"}),
    ("unknown-metadata-key", "unknown metadata 'hook'", {"hook": "x"}),
    ("dtype-int8", "metadata 'dtype' must be one of", {"dtype": "int8"}),
    # --- the architecture
    ("architecture-not-json", "metadata 'architecture' is not valid JSON",
     {"architecture": "{class_name: Sequential"}),
    ("architecture-nested-100000", "metadata 'architecture' is not valid JSON .nested too",
     {"architecture": DEEP_ARCHITECTURE}),
    ("architecture-100-deep", "larger than a model file allows",
     {"architecture": json.dumps({"class_name": "Sequential", "config": {
         "layers": json.loads("[" * 100 + "]" * 100)}})}),
    ("architecture-a-list", "must be null or an object with 'class_name'",
     {"architecture": "[1, 2]"}),
    ("class-name-a-number", "class_name must be a string and config an object, got a number",
     _first_layer({"class_name": 7, "config": {}})),
    ("unknown-class-os.system", "unknown class 'os.system' in the model file",
     {"architecture": json.dumps(
         {"class_name": "os.system", "config": {"command": "echo hacked"}})}),
    ("unknown-nested-initializer", "unknown class 'subprocess.Popen'",
     _first_layer(_dense(units=8, kernel_initializer={"class_name": "subprocess.Popen",
                                                      "config": {}}))),
    ("dense-unknown-argument", "cannot rebuild Dense from the model file",
     _first_layer(_dense(units=8, input_dim=3, colour="red"))),
    ("dense-units-abc", "units must be a positive integer, got 'abc'",
     _first_layer(_dense(units="abc", input_dim=3))),
    ("dense-units-infinite", "units must be a positive integer, got inf",
     _first_layer(_dense(units=float("inf"), input_dim=3))),
    ("dense-20000x20000", r"declares a weight of shape \(20000, 20000\)",
     _first_layer(_dense(units=20000, input_dim=20000))),
    ("embedding-10**12-rows", r"declares a weight of shape \(1000000000000, 4\)",
     _first_layer({"class_name": "Embedding", "config": {"input_dim": 10**12,
                                                          "output_dim": 4}})),
    ("int-of-5000-digits", "metadata 'architecture' is not valid JSON",
     {"architecture": '{"class_name": "Dense", "config": {"units": '
                         + "9" * 5000 + "}}"}),
    ("input-shape-zero", "metadata 'input_shape' must be a list of positive integers",
     {"input_shape": "[null, 0]"}),
    ("input-shape-string", "metadata 'input_shape' must be a list of positive integers",
     {"input_shape": '"abc"'}),
    ("weights-only-file", "the file holds only weights",
     {"architecture": "null"}),
    # --- compile settings and optimizer state
    ("compile-a-list", "metadata 'compile' must be a JSON object",
     {"compile": "[]"}),
    ("loss-class-Loss", "unknown loss class 'Loss'",
     _compile_with(loss={"class_name": "Loss", "config": {}})),
    ("loss-unknown-name", "unknown loss 'cube' in metadata 'compile'",
     _compile_with(loss="cube")),
    ("loss-a-number", "the loss must be a name, a loss class spec or null",
     _compile_with(loss=3)),
    ("optimizer-unknown", "unknown optimizer 'evil'",
     _compile_with(optimizer={"class_name": "evil", "config": {}})),
    ("optimizer-lr-object", "'lr' must be a number, boolean, string or list of numbers",
     _compile_with(optimizer={"class_name": "Adam", "config": {"lr": {"a": 1}}})),
    ("optimizer-lr-abc", "lr",
     _compile_with(optimizer={"class_name": "Adam", "config": {"lr": "abc"}})),
    ("metric-unknown", "unknown metric 'nope'",
     _compile_with(metrics=["nope"])),
    ("optimizer-scalars-a-list", "scalars must map parameter positions to objects",
     {"optimizer": _json_with("optimizer", scalars=[])}),
    ("optimizer-groups-a-string", "param_groups must be a list of objects",
     {"optimizer": _json_with("optimizer", param_groups="all")}),
    ("optimizer-state-wrong-shape", r"state 'exp_avg' has shape \(5,\)",
     {"tensors": {"optimizer/1/exp_avg": np.zeros(5, np.float32)}}),
    ("optimizer-tensor-without-metadata", "the file has no optimizer metadata",
     {"optimizer": None}),
    # --- training
    ("training-a-list", "metadata 'training' must be a JSON object",
     {"training": "[3, 1]"}),
    ("epoch-abc", "epoch must be a non-negative integer, got 'abc'",
     {"training": '{"epoch": "abc", "seed": 1}'}),
    ("epoch-negative", "epoch must be a non-negative integer, got -1",
     {"training": '{"epoch": -1, "seed": 1}'}),
    ("seed-a-float", "seed must be a non-negative integer or null",
     {"training": '{"epoch": 1, "seed": 1.5}'}),
    # --- the tensors against the metadata and the model
    ("dtype-mismatch", "has dtype float64 but the model's dtype is float32",
     {"tensors": {"model/0.bias": np.zeros(8, np.float64)}}),
    ("shape-mismatch", r"shape mismatch for 0.kernel: expected shape \(3, 8\), got \(3, 7\)",
     {"tensors": {"model/0.kernel": np.zeros((3, 7), np.float32)}}),
    ("extra-weight", r"unexpected keys: \['9.kernel'\]",
     {"tensors": {"model/9.kernel": np.zeros(1, np.float32)}}),
    ("extra-foreign-tensor", "unexpected tensor 'evil'",
     {"tensors": {"evil": np.zeros(1, np.float32)}}),
    ("missing-weight", r"missing keys: \['1.bias'\]",
     {"drop": ("model/1.bias",)}),
]


def _make(case: Callable[[Path, Path], bytes | Path] | dict, good: Path, tmp_path: Path) -> Path:
    """The crafted file: ``case`` makes its bytes, or is a dict of metadata entries to forge
    (values, or functions of the good file giving them; None removes the entry)."""
    out = tmp_path / "crafted.safetensors"
    if isinstance(case, dict):
        return _forge(good, out, **{k: v(good) if callable(v) else v for k, v in case.items()})
    made = case(good, out)
    if isinstance(made, bytes):
        out.write_bytes(made)
    return out


def _refused(path: Path, match: str) -> tuple[ValueError, int]:
    """The ValueError dc.load raises on ``path``, and the peak bytes allocated meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match) as info:
            dc.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, peak


def test_the_table_holds_at_least_forty_distinct_cases():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("match", "case"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_damaged_or_crafted_file_is_a_value_error_naming_it(match, case, good, tmp_path):
    dc.load(good)  # warm: the first load imports what loading needs
    path = _make(case, good, tmp_path)
    error, peak = _refused(path, match)
    assert str(error).startswith(f"load: {path}"), str(error)
    assert "\n" not in str(error) and len(str(error)) < 800
    size = path.stat().st_size
    assert peak < 4 * size + 2**18, f"allocated {peak} bytes for a file of {size}"


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_cut_or_flipped_byte_is_a_value_error_naming_the_file(data, good, tmp_path):
    original = good.read_bytes()
    if data.draw(st.booleans(), label="cut"):
        damaged = original[:data.draw(st.integers(0, len(original) - 1), label="length")]
    else:
        at = data.draw(st.integers(0, len(original) - 1), label="position")
        flip = data.draw(st.integers(1, 255), label="xor")
        damaged = original[:at] + bytes([original[at] ^ flip]) + original[at + 1:]
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(damaged)
    try:
        dc.load(path)
    except ValueError as err:
        assert str(err).startswith(f"load: {path}")
    else:  # only a flip of the header's padding into other JSON whitespace changes nothing
        n = int.from_bytes(original[:8], "little")
        assert damaged[:8] == original[:8] and damaged[8 + n:] == original[8 + n:]
        assert json.loads(damaged[8:8 + n]) == json.loads(original[8:8 + n])


def test_dev_zero_fails_at_once():
    _, peak = _refused(Path("/dev/zero"), r"load: /dev/zero is not a regular file")
    assert peak < 2**20


def test_a_folder_says_a_model_file_was_expected(tmp_path):
    with pytest.raises(ValueError, match=rf"load: {tmp_path} is a folder; expected a model file "
                                         r"such as .*model.safetensors"):
        dc.load(tmp_path)


def test_the_good_file_itself_loads(good):
    assert dc.load(good).epochs_trained == 1


def test_loading_does_not_move_the_random_generator(good):
    dc.seed(3)
    expected = dc.randn(4).numpy()
    dc.seed(3)
    dc.load(good)  # placeholder weights: no initialiser draws
    np.testing.assert_array_equal(dc.randn(4).numpy(), expected)


def test_the_docs_say_the_checksum_catches_damage_not_tampering():
    assert "catches *damage*" in model_io.__doc__ and "not *tampering*" in model_io.__doc__
