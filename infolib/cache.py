"""Resumable results: each finished unit of an experiment is stored on disk under its configuration.

A unit (one seed of one condition) is keyed by a JSON-serializable dict of its configuration and by
a hash of infolib's code, so editing infolib invalidates every entry. Entries are written atomically
(temporary file, fsync, rename): an interrupted chapter leaves finished units intact and no partial
entry, and resumes where it stopped. ::

    key = {"chapter": "usable_information", "experiment": "fig2a", "seed": 0, **settings.as_dict()}
    result = cached(key, lambda: run_one(seed=0, **settings.as_dict()))
"""

from __future__ import annotations

import functools
import hashlib
import json
import numbers
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

T = TypeVar("T")


def cache_dir(root: str | os.PathLike | None = None) -> Path:
    """``root``, else ``$INFOLIB_CACHE`` if set, else ``~/.cache/infolib``; created if missing."""
    if root is None:
        root = os.environ.get("INFOLIB_CACHE") or Path.home() / ".cache" / "infolib"
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.cache
def code_hash() -> str:
    """sha256 over the relative paths and contents of infolib's ``*.py`` files, once per process."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def canonical_key(key: dict) -> str:
    """The key as canonical JSON (sorted keys); numpy scalars become numbers, tuples lists.

    Raises ``TypeError`` naming the entry whose value (or dict key) JSON cannot hold.
    """
    if not isinstance(key, dict):
        raise TypeError(f"key must be a dict, got {type(key).__name__}")
    return json.dumps(_plain(key, "key"), sort_keys=True, allow_nan=True)


def _plain(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        for name in value:
            if not isinstance(name, str):
                raise TypeError(f"{where} has a non-str dict key {name!r}; keys must be str")
        return {name: _plain(item, f"{where}[{name!r}]") for name, item in value.items()}
    raise TypeError(
        f"{where} is a {type(value).__name__} ({value!r}), which a cache key cannot hold; "
        "use str, int, float, bool, None, or lists and dicts of them"
    )


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Write a file through ``write(file)`` into a temporary file beside ``path``, then rename it.

    Either the whole new file is at ``path`` or the old one (if any) is untouched; the temporary
    file is removed when ``write`` or the rename fails. Returns ``Path(path)``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    file = tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(file.name, 0o666 & ~_umask())  # as open() would; the temporary file is 0600
        os.replace(file.name, path)
    except BaseException:
        Path(file.name).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def entry_path(key: dict, *, root: str | os.PathLike | None = None) -> Path:
    """The file that holds (or would hold) the entry of ``key`` under the current code hash."""
    name = hashlib.sha256(f"{code_hash()}\n{canonical_key(key)}".encode()).hexdigest()
    return cache_dir(root) / f"{name}.pkl"


def cached(
    key: dict,
    compute: Callable[[], T],
    *,
    root: str | os.PathLike | None = None,
    enabled: bool = True,
) -> T:
    """``compute()``, or its stored value from an earlier call with the same key and infolib code.

    ``key`` is a JSON-serializable dict describing the unit (chapter, experiment, seed, settings).
    The entry is a pickle of ``{"key": canonical_key(key), "code_hash": ..., "value": value}``
    written atomically under :func:`cache_dir`; an unreadable entry or one whose stored key differs
    is recomputed with a warning. ``enabled=False`` computes without reading or writing anything.
    """
    canonical = canonical_key(key)
    if not callable(compute):
        raise TypeError(f"compute must be a callable taking no arguments, got {compute!r}")
    if not enabled:
        return compute()
    path = entry_path(key, root=root)
    if path.exists():
        try:
            with path.open("rb") as file:
                entry = pickle.load(file)
        except Exception as error:  # any unpickling failure means a corrupt or stale entry
            warnings.warn(
                f"cache entry {path} is unreadable ({type(error).__name__}: {error}); recomputing",
                stacklevel=2,
            )
        else:
            if isinstance(entry, dict) and entry.get("key") == canonical:
                return entry["value"]
            warnings.warn(f"cache entry {path} holds another key; recomputing", stacklevel=2)
    value = compute()
    entry = {"key": canonical, "code_hash": code_hash(), "value": value}
    atomic_write(path, lambda file: pickle.dump(entry, file, protocol=pickle.HIGHEST_PROTOCOL))
    return value
