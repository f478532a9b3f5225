"""Cached units are reused, keyed by configuration and code, stored without pickle, never lost."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import infolib
import infolib.cache
import infolib.fingerprint
import infolib.train
from infolib.cache import (
    BOOK_ENTRIES,
    CacheWarning,
    cache_dir,
    cached,
    canonical_key,
    entry_path,
    prune,
    record_book,
    usage,
)
from infolib.coding import Codelength

KEY = {"chapter": "usable_information", "experiment": "fig2a", "seed": 0, "epochs": 3}
PACKAGE = Path(infolib.__file__).parent


def counter(value=42):
    """A compute function that counts its calls in ``compute.calls``."""

    def compute():
        compute.calls += 1
        return value

    compute.calls = 0
    return compute


def entries(root):
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file())


def test_cached_unit_is_reused(tmp_path):
    compute = counter({"accuracy": np.array([0.5, 0.75])})
    first = cached(KEY, compute, root=tmp_path)
    second = cached(dict(reversed(KEY.items())), compute, root=tmp_path)
    assert compute.calls == 1
    np.testing.assert_array_equal(second["accuracy"], first["accuracy"])
    assert entries(tmp_path) == [entry_path(KEY, compute, root=tmp_path)
                                 .relative_to(tmp_path).as_posix()]
    assert entries(tmp_path)[0].startswith("usable_information/")


def test_a_lambda_is_a_unit(tmp_path):
    calls = counter(7)
    assert cached(KEY, lambda: calls() * 2, root=tmp_path) == 14
    assert cached(KEY, lambda: calls() * 2, root=tmp_path) == 14
    assert calls.calls == 1
    assert cached(KEY, lambda: calls() * 3, root=tmp_path) == 21, "another body, another entry"


def test_different_key_is_recomputed(tmp_path):
    compute = counter()
    cached(KEY, compute, root=tmp_path)
    cached({**KEY, "seed": 1}, compute, root=tmp_path)
    cached({**KEY, "seed": True}, compute, root=tmp_path)
    assert compute.calls == 3


def test_version_is_part_of_the_entry(tmp_path):
    compute = counter()
    cached(KEY, compute, root=tmp_path, version=1)
    cached(KEY, compute, root=tmp_path, version=1)
    cached(KEY, compute, root=tmp_path, version="2")
    assert compute.calls == 2
    with pytest.raises(TypeError, match="version must be"):
        cached(KEY, compute, root=tmp_path, version=object())


VALUES = {
    "numbers": {"int": 3, "float": 0.25, "nan": float("nan"), "inf": -float("inf"), "big": 10**30},
    "nested": [1, (2, "three"), {"four": None, 5: True}, {(6, 7): [8.5]}],
    "numpy scalars": [np.float32(0.1), np.int64(-4), np.bool_(True), np.float64(2.5)],
    "arrays": [np.arange(12, dtype=np.int16).reshape(3, 4), np.array(["a", "bc"]),
               np.zeros((0, 3)), np.array([1.5, np.nan])],
    "tensor": torch.arange(6, dtype=torch.float32).reshape(2, 3),
    "frame": pd.DataFrame({"measure": ["d_p", "cka"], "value": [0.5, 0.25], "n": [1, 2]}),
    "frame with index": pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="row")),
    "series": pd.Series([1.0, 2.0], index=[10, 20], name="s"),
    "infolib dataclass": {"code": Codelength(total=3.5, blocks=np.array([1.0, 2.5]),
                                             ends=np.array([2, 5]))},
    # text columns with missing values (a row kind without a direction), and of dtype object
    "frame with missing text": pd.DataFrame({"kind": ["search", "floor", "floor"],
                                             "direction": [np.nan, "B given A", "A given B"]}),
    "object text": pd.DataFrame({"o": pd.Series(["a", "b"], dtype=object, index=[3, 1])}),
    "text with every missing value": pd.Series(["a", None, np.nan, pd.NA], dtype=object),
    "string dtype": pd.Series(["a", pd.NA], dtype="string", index=[7, 8], name="s"),
    "multi": pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples([(0, "a"), (1, "b")],
                                                                          names=["i", "j"])),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_values_come_back_equal_and_of_the_same_type(tmp_path, name):
    value = VALUES[name]
    compute = counter(value)
    cached(KEY, compute, root=tmp_path)
    restored = cached(KEY, compute, root=tmp_path)
    assert compute.calls == 1
    assert_same(restored, value)


def assert_same(restored, value):
    assert type(restored) is type(value)
    if isinstance(value, dict):
        assert list(restored) == list(value)
        for k in value:
            assert_same(restored[k], value[k])
    elif isinstance(value, (list, tuple)):
        assert len(restored) == len(value)
        for a, b in zip(restored, value):
            assert_same(a, b)
    elif isinstance(value, (np.ndarray, np.generic)):
        assert restored.dtype == value.dtype
        np.testing.assert_array_equal(restored, value)
    elif isinstance(value, torch.Tensor):
        assert restored.dtype == value.dtype
        assert torch.equal(restored, value)
    elif isinstance(value, Codelength):
        assert restored.total == value.total
        np.testing.assert_array_equal(restored.blocks, value.blocks)
        np.testing.assert_array_equal(restored.ends, value.ends)
    elif isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(restored, value)
    elif isinstance(value, pd.Series):
        pd.testing.assert_series_equal(restored, value)
        if value.dtype == object:  # None, NaN and NA stay apart
            assert [type(v) for v in restored] == [type(v) for v in value]
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(restored)
    else:
        assert restored == value


with warnings.catch_warnings():  # numpy discourages np.matrix: here it is what is refused
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    MATRIX = np.matrix([[1.0, 2.0]])


@pytest.mark.parametrize("value", [
    object(), [1, {"x": lambda: 0}], torch.ones(2).bfloat16(), np.array([None, 1], dtype=object),
    # values that would come back changed: the mask lost, matrix products elementwise, the
    # columns' levels one level of tuples, a trailing NUL dropped
    np.ma.masked_array([1.0, 2.0], mask=[False, True]), MATRIX,
    pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", 1), ("a", 2)])),
    np.array(["a\x00"], dtype=object), pd.Series(["b", "a\x00"], dtype=object),
    pd.Series(["b", 1], dtype=object),
], ids=["object", "lambda", "bfloat16", "objects", "masked", "matrix", "multi-columns", "nul",
                    "nul-column", "text-and-number"])
def test_unstorable_value_is_returned_with_a_warning(tmp_path, value):
    with pytest.warns(CacheWarning, match="result was not cached: cannot write .*INFOLIB_CACHE"):
        assert cached(KEY, lambda: value, root=tmp_path) is value
    assert entries(tmp_path) == []


def test_unwritable_folder_loses_nothing(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    root = blocker / "cache"
    with pytest.warns(CacheWarning, match=re.escape(str(root)) + ".*INFOLIB_CACHE"):
        assert cached(KEY, counter([1, 2]), root=root) == [1, 2]


def test_cache_off_reads_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOLIB_CACHE", "off")
    compute = counter()
    assert cached(KEY, compute) == 42
    assert cached(KEY, compute) == 42
    assert compute.calls == 2
    assert cache_dir() is None
    root = tmp_path / "cache"
    assert cached(KEY, compute, root=root, enabled=False) == 42
    assert not root.exists()


def draws_from_the_global_generators():
    """A unit that draws from every global generator: its value names the states it began in."""
    import random

    return [random.random(), float(np.random.rand()), float(torch.rand(()))]


def global_states():
    import random

    return random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state().clone()


def assert_same_states(a, b):
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    assert torch.equal(a[2], b[2])


def test_a_unit_drawing_from_the_global_generators_does_not_depend_on_what_ran_before(tmp_path):
    """The same value whatever the generators' states before it, with the cache on or off; the
    caller's generators come back as they were whether the unit was computed or read."""
    import random

    values = []
    for before in (0, 1):
        random.seed(before), np.random.seed(before), torch.manual_seed(before)
        states = global_states()
        values.append(cached(KEY, draws_from_the_global_generators, enabled=False))
        assert_same_states(global_states(), states)
        values.append(cached(KEY, draws_from_the_global_generators, root=tmp_path / str(before)))
        assert_same_states(global_states(), states)  # computed
        values.append(cached(KEY, draws_from_the_global_generators, root=tmp_path / str(before)))
        assert_same_states(global_states(), states)  # read
    assert all(value == values[0] for value in values), values
    other = cached({**KEY, "seed": 1}, draws_from_the_global_generators, enabled=False)
    assert all(a != b for a, b in zip(other, values[0])), "each key has its own seed"


def test_the_global_generators_are_restored_when_the_unit_fails(tmp_path):
    def fails():
        draws_from_the_global_generators()
        raise RuntimeError("the unit failed")

    torch.manual_seed(3)
    states = global_states()
    with pytest.raises(RuntimeError, match="the unit failed"):
        cached(KEY, fails, root=tmp_path)
    assert_same_states(global_states(), states)


class Exploit:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "code ran"))


def test_crafted_entry_runs_no_code_and_is_recomputed(tmp_path):
    compute = counter()
    path = entry_path(KEY, compute, root=tmp_path)
    path.parent.mkdir(parents=True)
    marker = tmp_path / "marker"
    with path.open("wb") as file:  # a pickle where an entry should be
        np.savez(file, __entry__=np.array([Exploit(marker)], dtype=object))
    with pytest.warns(CacheWarning, match=re.escape(f"cache entry {path} is unusable")):
        assert cached(KEY, compute, root=tmp_path) == 42
    assert not marker.exists()
    assert compute.calls == 1
    assert cached(KEY, compute, root=tmp_path) == 42
    assert compute.calls == 1, "the recomputed entry was written"


@pytest.mark.parametrize("damage", ["truncate", "garbage", "other key", "old format",
                                    "bad member", "bad tag", "foreign class"])
def test_malformed_entry_warns_and_is_recomputed(tmp_path, damage):
    compute = counter(list(range(100)))
    cached(KEY, compute, root=tmp_path)
    path = entry_path(KEY, compute, root=tmp_path)
    meta = {"format": infolib.cache.FORMAT, "key": canonical_key(KEY), "value": {"array": "a0"}}
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "garbage":
        path.write_bytes(b"PK\x03\x04 not a zip")
    else:
        if damage == "other key":
            meta["key"] = "{}"
        elif damage == "old format":
            meta["format"] = 1
        elif damage == "bad member":
            meta["value"] = {"array": "__entry__"}
        elif damage == "bad tag":
            meta["value"] = {"eval": "print('x')"}
        else:  # only infolib dataclasses may be built from an entry
            meta["value"] = {"dataclass": "subprocess:Popen", "fields": {"args": "true"}}
        text = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        with path.open("wb") as file:
            np.savez(file, __entry__=text)
    with pytest.warns(CacheWarning, match=re.escape(f"cache entry {path} is unusable")):
        assert cached(KEY, compute, root=tmp_path) == list(range(100))
    assert compute.calls == 2


def test_interrupted_write_leaves_no_temporary(tmp_path, monkeypatch):
    def interrupted(source, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cached(KEY, counter(), root=tmp_path)
    assert entries(tmp_path) == []
    monkeypatch.undo()
    compute = counter()
    assert cached(KEY, compute, root=tmp_path) == 42
    assert cached(KEY, compute, root=tmp_path) == 42
    assert compute.calls == 1


def test_temporary_of_a_killed_writer_is_removed(tmp_path):
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()
    folder = tmp_path / "usable_information"
    folder.mkdir()
    stale = folder / f".x.npz.{killed.pid}.abc123.tmp"
    stale.write_bytes(b"half an entry")
    mine = folder / f".y.npz.{os.getpid()}.abc123.tmp"
    mine.write_bytes(b"being written")
    cached(KEY, counter(), root=tmp_path)
    assert not stale.exists()
    assert mine.exists(), "a live writer's file is left alone"


def test_numpy_scalars_and_tuples_make_the_same_key(tmp_path):
    compute = counter()
    cached({"seed": 0, "widths": [64, 128], "lr": 0.5, "ok": True}, compute, root=tmp_path)
    numpy_key = {
        "seed": np.int64(0),
        "widths": (np.int32(64), 128),
        "lr": np.float64(0.5),
        "ok": np.bool_(True),
    }
    cached(numpy_key, compute, root=tmp_path)
    assert compute.calls == 1


def test_non_json_key_is_rejected(tmp_path):
    with pytest.raises(TypeError, match=r"key\['model'\]\['device'\] is a (Posix|Windows)Path"):
        cached({"model": {"device": tmp_path}}, counter(), root=tmp_path)
    with pytest.raises(TypeError, match=r"key\['sizes'\]\[1\] is a ndarray"):
        cached({"sizes": [1, np.zeros(2)]}, counter(), root=tmp_path)
    with pytest.raises(TypeError, match="non-str dict key 1"):
        cached({1: "a"}, counter(), root=tmp_path)
    with pytest.raises(TypeError, match="key must be a dict, got list"):
        cached([("seed", 0)], counter(), root=tmp_path)
    with pytest.raises(TypeError, match="compute must be a callable"):
        cached(KEY, 42, root=tmp_path)
    assert entries(tmp_path) == []


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / "from_env"))
    assert cache_dir(tmp_path / "given") == tmp_path / "given"
    assert cache_dir() == tmp_path / "from_env"
    monkeypatch.delenv("INFOLIB_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "infolib"


def test_atomic_write_gives_the_permissions_of_a_normal_file(tmp_path):
    from infolib.cache import atomic_write

    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "out.bin", lambda file: file.write(b"x"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_info_record_and_prune(tmp_path, monkeypatch):
    log = tmp_path / "reads.txt"
    root = tmp_path / "cache"
    monkeypatch.setenv("INFOLIB_CACHE_LOG", str(log))
    cached(KEY, counter(1), root=root)
    cached({**KEY, "chapter": "fisher"}, counter(2), root=root)
    monkeypatch.delenv("INFOLIB_CACHE_LOG")
    cached({**KEY, "seed": 9}, counter(3), root=root)  # not read by "the book"
    (root / "old.pkl").write_bytes(b"an entry of the pickle days")
    use = usage(root)
    assert {name: u.entries for name, u in use.items()} == {
        "fisher": 1, "usable_information": 2, "(old format)": 1}
    with pytest.raises(FileNotFoundError, match="run `make book` to completion first"):
        prune(root)
    record_book([log], root)
    assert len((root / BOOK_ENTRIES).read_text().split()) == 2
    assert prune(root, dry_run=True).entries == 2
    assert prune(root).entries == 2
    assert {name: u.entries for name, u in usage(root).items()} == {
        "fisher": 1, "usable_information": 1}
    out = subprocess.run([sys.executable, "-m", "infolib.cache", "--root", str(root), "info"],
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"fisher\s+1 entries", out) and re.search(r"total\s+2 entries", out)


# --- the code an entry depends on, each case in a fresh process --------------------------------

CHAPTER = '''
# %% [markdown]
# A chapter: prose, a unit, a figure.

# %%
import sys
from infolib.cache import cached
from infolib.checks import integer
from infolib.config import resolve

RATE = 0.5
NAMES = ("a", "b")
PROFILES = {"cpu": {"epochs": 3, "widths": [4, 8]}}
settings = resolve(PROFILES, "cpu")


def helper(x):
    """Scaled by the rate."""
    return integer("x", x) * RATE  # a comment


def unit(seed):
    return {"value": helper(seed) + settings.epochs, "names": list(NAMES)}


def unrelated():
    return 1


# %%
def run(seed):
    return cached({"chapter": "toy", "seed": seed}, lambda: (print("COMPUTED"), unit(seed))[1])


result = run(3)

# %%
print("figure", result["value"])
'''


def run_chapter(folder: Path, text: str) -> bool:
    """Run the chapter in a fresh interpreter (with folder's copy of infolib first on the path);
    True when the unit was computed, False when it came from the cache."""
    (folder / "chapter.py").write_text(textwrap.dedent(text))
    env = {**os.environ, "INFOLIB_CACHE": str(folder / "cache"), "PYTHONPATH": str(folder)}
    done = subprocess.run([sys.executable, "chapter.py"], cwd=folder, env=env, text=True,
                          capture_output=True)
    assert done.returncode == 0, done.stderr
    return "COMPUTED" in done.stdout


@pytest.fixture(scope="module")
def warm_chapter(tmp_path_factory):
    """A folder with a copy of infolib, the chapter, and the cache of one run of it."""
    folder = tmp_path_factory.mktemp("chapter")
    shutil.copytree(PACKAGE, folder / "infolib", ignore=shutil.ignore_patterns("__pycache__"))
    assert run_chapter(folder, CHAPTER)
    assert not run_chapter(folder, CHAPTER), "unchanged, it must come from the cache"
    return folder


@pytest.fixture
def chapter_folder(warm_chapter, tmp_path):
    """A fresh copy of the warm folder (paths differ: the entries must not depend on them)."""
    shutil.copytree(warm_chapter, tmp_path / "copy")
    return tmp_path / "copy"


@pytest.mark.parametrize("old, new", [
    ("* RATE  # a comment", "* RATE + 0  # a comment"),  # the body of a function it calls
    ("RATE = 0.5", "RATE = 0.25"),  # a constant it reads
    ('"epochs": 3', '"epochs": 4'),  # a knob it reads
    ("unit(seed))[1]", "unit(seed + 0))[1]"),  # the lambda
])
def test_editing_what_the_unit_runs_recomputes(chapter_folder, old, new):
    assert old in CHAPTER
    assert run_chapter(chapter_folder, CHAPTER.replace(old, new))


@pytest.mark.parametrize("old, new", [
    ("# A chapter: prose", "# A chapter, edited: prose"),  # prose
    ('print("figure", result["value"])', 'print("a new figure", 2 * result["value"])'),
    ("return 1", "return 2"),  # an unrelated function
    ("# a comment", "# another comment"),  # a comment in the unit
    ('"""Scaled by the rate."""', '"""Scaled by RATE."""'),  # a docstring
    ('"widths": [4, 8]', '"widths": [4, 16]'),  # a knob it does not read
    ("import sys\n", "import sys\n\n\n\nX = [1]\n"),  # lines moved
])
def test_editing_what_the_unit_does_not_run_does_not(chapter_folder, old, new):
    assert old in CHAPTER
    assert not run_chapter(chapter_folder, CHAPTER.replace(old, new))


def test_editing_an_infolib_module(chapter_folder):
    unused = chapter_folder / "infolib" / "reparam.py"
    unused.write_text(unused.read_text() + "\nEDITED = 1\n")
    assert not run_chapter(chapter_folder, CHAPTER), "reparam is not used by the unit"
    used = chapter_folder / "infolib" / "checks.py"
    used.write_text(used.read_text() + "\nEDITED = 1\n")
    assert run_chapter(chapter_folder, CHAPTER), "checks (integer) is used by the unit"


@pytest.mark.slow
def test_papermill_and_python_share_entries(chapter_folder):
    """The same unit run as a script and as a notebook under papermill has the same entry."""
    import jupytext
    import papermill

    notebook = jupytext.reads(textwrap.dedent(CHAPTER), fmt="py:percent")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    jupytext.write(notebook, chapter_folder / "chapter.ipynb")
    env = {"INFOLIB_CACHE": str(chapter_folder / "cache"), "PYTHONPATH": str(chapter_folder)}
    old = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        out = papermill.execute_notebook(
            str(chapter_folder / "chapter.ipynb"), str(chapter_folder / "out.ipynb"),
            cwd=str(chapter_folder), kernel_name="python3", progress_bar=False)
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    printed = "".join(output.get("text", "") for cell in out.cells
                      for output in cell.get("outputs", []))
    assert "figure 4.5" in printed
    assert "COMPUTED" not in printed, "papermill found the entry the script wrote"


def test_a_zero_dimensional_tensor_keeps_its_shape(tmp_path):
    """Adam's step and batch-norm's num_batches_tracked are 0-d tensors in every stored state."""
    value = {"step": torch.tensor(3.0), "count": torch.tensor(7), "vector": torch.arange(2.0)}
    def compute():
        return value

    cached({"chapter": "t", "unit": "0-d"}, compute, root=tmp_path)
    again = cached({"chapter": "t", "unit": "0-d"}, compute, root=tmp_path)
    assert again is not value, "read from the entry"
    assert {name: tuple(tensor.shape) for name, tensor in again.items()} == {
        "step": (), "count": (), "vector": (2,)}


def test_segments_belong_to_the_unit_that_prepared_their_data(tmp_path, monkeypatch):
    """Editing how a unit prepares its training data (here: a scale in its closure) recomputes
    the unit, and its training's segments too, not only the unit around them."""
    from infolib.train import fit_in_segments

    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path))
    monkeypatch.setattr(infolib.fingerprint, "ARRAY_DIGEST_BYTES", 0)  # x as large as images
    x, y = torch.randn(32, 3, generator=torch.Generator().manual_seed(0)), torch.arange(32) % 2
    key = {"chapter": "segments", "run": 1}

    def build():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(3, 2))

    def unit(scale):
        def compute():
            model, _ = fit_in_segments(key, build, x * scale, y, epochs=4, segment_epochs=2,
                                       batch_size=8, lr=0.1, seed=0, device="cpu")
            return model.state_dict()["0.weight"]
        return compute

    cached(key, unit(1.0))
    scaled = cached(key, unit(5.0))
    monkeypatch.setenv("INFOLIB_CACHE", "off")
    assert torch.equal(scaled, unit(5.0)()), "the segments of the scale-1 unit were reused"


class ForeignWarning(UserWarning):
    """A category an entry may name but not make a reading process import."""


def warning_unit(value=7):
    """A unit that warns twice (an infolib category and a foreign one), then returns ``value``."""

    def compute():
        compute.calls += 1
        warnings.warn("the model kept its untrained state", infolib.train.UntrainedModelWarning,
                      stacklevel=1)
        warnings.warn("a foreign warning", ForeignWarning, stacklevel=1)
        return value

    compute.calls = 0
    return compute


def shown(record):
    return [(w.category, str(w.message)) for w in record]


EXPECTED_WARNINGS = [
    (infolib.train.UntrainedModelWarning, "the model kept its untrained state"),
    (UserWarning, f"{__name__}.ForeignWarning: a foreign warning"),
]


def test_a_units_warnings_are_shown_when_computed_and_again_when_read(tmp_path):
    """Warnings outlive the computation: a run from the cache shows what the cold run showed,
    an infolib category as itself, another package's as a UserWarning that names it."""
    compute = warning_unit()
    for _ in range(2):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            assert cached(KEY, compute, root=tmp_path) == 7
        assert shown(record) == EXPECTED_WARNINGS
    assert compute.calls == 1
    stored = infolib.cache.entry_meta(entry_path(KEY, compute, root=tmp_path))["warnings"]
    assert [w["category"] for w in stored] == ["infolib.train.UntrainedModelWarning",
                                               f"{__name__}.ForeignWarning"]
    assert all(w["filename"] == __file__ for w in stored)


def test_a_warning_the_filters_ignore_is_not_stored(tmp_path):
    compute = warning_unit()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ForeignWarning)
        cached(KEY, compute, root=tmp_path)
    assert shown(record) == EXPECTED_WARNINGS[:1]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cached(KEY, compute, root=tmp_path)
    assert shown(record) == EXPECTED_WARNINGS[:1]


def test_an_outer_unit_keeps_the_warnings_of_the_units_it_ran(tmp_path):
    inner = warning_unit()

    def outer():
        outer.calls += 1
        return cached({**KEY, "part": "inner"}, inner, root=tmp_path) + 1

    outer.calls = 0
    for _ in range(2):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            assert cached(KEY, outer, root=tmp_path) == 8
        assert shown(record) == EXPECTED_WARNINGS
    assert outer.calls == 1 and inner.calls == 1


def test_warnings_of_a_unit_that_fails_are_shown(tmp_path):
    def compute():
        warnings.warn("before the failure", RuntimeWarning, stacklevel=1)
        raise ArithmeticError("the unit failed")

    with warnings.catch_warnings(record=True) as record, pytest.raises(ArithmeticError):
        warnings.simplefilter("always")
        cached(KEY, compute, root=tmp_path)
    assert shown(record) == [(RuntimeWarning, "before the failure")]
    assert entries(tmp_path) == []


@pytest.mark.parametrize("stored", [
    "not a list",
    [{"category": "builtins.UserWarning", "message": "m", "filename": "f"}],
    [{"category": "builtins.UserWarning", "message": 3, "filename": "f", "lineno": 1}],
])
def test_malformed_warnings_make_an_entry_unusable(tmp_path, stored):
    compute = counter()
    cached(KEY, compute, root=tmp_path)
    path = entry_path(KEY, compute, root=tmp_path)
    meta = {"format": infolib.cache.FORMAT, "key": canonical_key(KEY), "warnings": stored,
            "value": 42}
    with path.open("wb") as file:
        np.savez(file, __entry__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    with pytest.warns(CacheWarning, match="malformed warnings"):
        assert cached(KEY, compute, root=tmp_path) == 42
    assert compute.calls == 2


@pytest.mark.parametrize("category", ["subprocess.Popen", "os.system", "infolib.cache.cached",
                                      "infolib.nowhere.Thing", "builtins.print"])
def test_an_entry_names_no_category_this_process_would_build(tmp_path, category):
    """Only built-in warnings and infolib's are taken as categories; anything else (a module
    that is not infolib's, a function, a missing module) is a UserWarning naming it."""
    issued = [{"category": category, "message": "m", "filename": "f.py", "lineno": 1}]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        infolib.cache.reissue(issued)
    assert shown(record) == [(UserWarning, f"{category}: m")]


def test_the_cache_counts_the_warnings_of_units_and_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(infolib.cache, "_UNIT_WARNINGS", {})
    compute = warning_unit()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        cached(KEY, compute, root=tmp_path)
        cached(KEY, compute, root=tmp_path)
        cached({**KEY, "seed": 1}, counter(object()), root=tmp_path)  # not storable
    found = infolib.cache.unit_warnings()
    assert [(w["category"], w["times"], w["units"]) for w in found] == [
        ("infolib.train.UntrainedModelWarning", 2, ["experiment fig2a, seed 0"]),
        (f"{__name__}.ForeignWarning", 2, ["experiment fig2a, seed 0"]),
        ("infolib.cache.CacheWarning", 1, [])]
    assert found[2]["message"].startswith("the result was not cached")


def test_a_nested_units_warnings_are_counted_once_cold_or_warm(tmp_path, monkeypatch):
    inner = warning_unit()

    def outer():
        return cached({**KEY, "part": "inner"}, inner, root=tmp_path) + 1

    counts = []
    for _ in range(2):
        monkeypatch.setattr(infolib.cache, "_UNIT_WARNINGS", {})
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            cached(KEY, outer, root=tmp_path)
        counts.append([(w["times"], w["units"]) for w in infolib.cache.unit_warnings()])
    assert counts[0] == counts[1] == [(1, ["experiment fig2a, seed 0"])] * 2


def test_an_outer_entry_does_not_store_the_cache_warnings_of_the_units_it_ran(tmp_path):
    """That an inner unit could not be written was true once, about the cache; the outer entry
    keeps only what the computation warned of."""
    def outer():
        cached({**KEY, "part": "inner"}, counter(object()), root=tmp_path)  # not storable
        warnings.warn("of the computation", RuntimeWarning, stacklevel=1)
        return 1

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cached(KEY, outer, root=tmp_path)
    assert [w.category for w in record] == [CacheWarning, RuntimeWarning]
    stored = infolib.cache.entry_meta(entry_path(KEY, outer, root=tmp_path))["warnings"]
    assert [w["message"] for w in stored] == ["of the computation"]


def test_deprecations_are_shown_but_neither_stored_nor_counted(tmp_path, monkeypatch):
    """A library's deprecation says nothing about the numbers, and an import issues it once per
    process, in whichever unit ran first: a warm run would list it where the cold run did not."""
    monkeypatch.setattr(infolib.cache, "_UNIT_WARNINGS", {})

    def compute():
        warnings.warn("old api", FutureWarning, stacklevel=1)
        warnings.warn("older api", DeprecationWarning, stacklevel=1)
        warnings.warn("about the numbers", RuntimeWarning, stacklevel=1)
        return 1

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cached(KEY, compute, root=tmp_path)
    assert [w.category for w in record] == [FutureWarning, DeprecationWarning, RuntimeWarning]
    stored = infolib.cache.entry_meta(entry_path(KEY, compute, root=tmp_path))["warnings"]
    assert [w["message"] for w in stored] == ["about the numbers"]
    assert [w["message"] for w in infolib.cache.unit_warnings()] == ["about the numbers"]
