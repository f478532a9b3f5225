"""Cached units are reused, keyed by configuration and code, and never left half-written."""

import os
import pickle
import re

import numpy as np
import pytest

import infolib.cache
from infolib.cache import cache_dir, cached, canonical_key, code_hash, entry_path

KEY = {"chapter": "usable_information", "experiment": "fig2a", "seed": 0, "epochs": 3}


def counter(value=42):
    """A compute function that counts its calls in ``compute.calls``."""

    def compute():
        compute.calls += 1
        return value

    compute.calls = 0
    return compute


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("interrupted while pickling")


def test_cached_unit_is_reused(tmp_path):
    compute = counter({"accuracy": np.array([0.5, 0.75])})
    first = cached(KEY, compute, root=tmp_path)
    second = cached(dict(reversed(KEY.items())), compute, root=tmp_path)
    assert compute.calls == 1
    np.testing.assert_array_equal(second["accuracy"], first["accuracy"])
    assert [path.name for path in tmp_path.iterdir()] == [entry_path(KEY, root=tmp_path).name]


def test_entry_holds_its_key(tmp_path):
    cached(KEY, counter(), root=tmp_path)
    with entry_path(KEY, root=tmp_path).open("rb") as file:
        entry = pickle.load(file)
    assert entry == {"key": canonical_key(KEY), "code_hash": code_hash(), "value": 42}


def test_different_key_is_recomputed(tmp_path):
    compute = counter()
    cached(KEY, compute, root=tmp_path)
    cached({**KEY, "seed": 1}, compute, root=tmp_path)
    cached({**KEY, "seed": True}, compute, root=tmp_path)
    assert compute.calls == 3


def test_code_hash_is_part_of_the_key(tmp_path, monkeypatch):
    compute = counter()
    cached(KEY, compute, root=tmp_path)
    monkeypatch.setattr(infolib.cache, "code_hash", lambda: "edited infolib")
    cached(KEY, compute, root=tmp_path)
    cached(KEY, compute, root=tmp_path)
    assert compute.calls == 2


def test_code_hash_is_a_stable_sha256():
    assert len(code_hash()) == 64
    assert code_hash() == code_hash()


def test_interrupted_pickling_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="interrupted while pickling"):
        cached(KEY, lambda: Unpicklable(), root=tmp_path)
    assert list(tmp_path.iterdir()) == []
    compute = counter()
    assert cached(KEY, compute, root=tmp_path) == 42
    assert cached(KEY, compute, root=tmp_path) == 42
    assert compute.calls == 1


def test_interrupted_rename_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(source, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cached(KEY, counter(), root=tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    compute = counter()
    assert cached(KEY, compute, root=tmp_path) == 42
    assert compute.calls == 1


def test_truncated_entry_warns_and_is_recomputed(tmp_path):
    compute = counter(list(range(1000)))
    cached(KEY, compute, root=tmp_path)
    path = entry_path(KEY, root=tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(UserWarning, match=re.escape(f"cache entry {path} is unreadable")):
        assert cached(KEY, compute, root=tmp_path) == list(range(1000))
    assert compute.calls == 2
    assert cached(KEY, compute, root=tmp_path) == list(range(1000))
    assert compute.calls == 2, "the recomputed entry was written"


def test_entry_of_another_key_warns_and_is_recomputed(tmp_path):
    compute = counter()
    path = entry_path(KEY, root=tmp_path)
    path.write_bytes(pickle.dumps({"key": "{}", "code_hash": code_hash(), "value": 0}))
    with pytest.warns(UserWarning, match="holds another key"):
        assert cached(KEY, compute, root=tmp_path) == 42
    assert compute.calls == 1


def test_disabled_cache_never_writes(tmp_path):
    root = tmp_path / "cache"
    compute = counter()
    assert cached(KEY, compute, root=root, enabled=False) == 42
    assert cached(KEY, compute, root=root, enabled=False) == 42
    assert compute.calls == 2
    assert not root.exists()


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
    assert list(tmp_path.iterdir()) == []


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / "from_env"))
    assert cache_dir(tmp_path / "given") == tmp_path / "given"
    assert cache_dir() == tmp_path / "from_env"
    assert (tmp_path / "from_env").is_dir()
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
