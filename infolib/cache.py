"""Resumable results: each finished unit of an experiment is stored on disk under its key and code.

A unit (one seed of one condition) is stored under its key, a JSON-serializable dict of its
configuration, **and the code that computed it** (:mod:`infolib.fingerprint`): the source of
``compute`` and of the chapter's functions it calls, the plain constants and settings they read,
and the ``infolib`` modules they use. Editing a line that computes a number recomputes that number;
editing prose, a figure or an unrelated function does not. ::

    key = {"chapter": "usable_information", "experiment": "fig2a", "seed": 0, **settings.as_dict()}
    result = cached(key, lambda: run_one(seed=0))

Entries are ``.npz`` files: the value's structure as JSON and its arrays as ``.npy`` members, read
with ``allow_pickle=False``, so loading an entry cannot run code. They are written atomically
(temporary file, fsync, rename): an interrupted chapter leaves finished units intact and resumes
where it stopped. A value that cannot be stored is still returned, with a warning.

**Warnings outlive the computation.** The warnings a unit's ``compute`` issues (an early stopping
that kept an untrained model, a solver that did not converge) are stored in its entry and issued
again, unchanged, each time the entry is read: a chapter run from the cache shows the warnings of
the run that computed its numbers, whichever process computed them. Deprecations (warnings about
code, not numbers) are shown when issued and not stored.

**A unit's value does not depend on what ran before it.** While ``compute`` runs, Python's
``random``, numpy's global generator and torch's (CPU and CUDA) start from a seed drawn from the
key (:func:`unit_seed`), and the caller's generators are restored after: a unit that draws from
them (a layer initialised without a seed, a dropout outside :func:`infolib.train.fit`) gives the
same number in a whole run, a shard, a worker process or with caching off, and what runs after
it sees the same generators whether the unit was computed or read from the cache.

The directory is ``$INFOLIB_CACHE`` (``off`` disables caching), else ``~/.cache/infolib``; one
folder per chapter. ``python -m infolib.cache info`` lists entries and bytes per chapter;
``python -m infolib.cache prune`` drops the entries that the last complete ``make book`` did not
read (it records them with ``record-book``).
"""

from __future__ import annotations

import argparse
import builtins
import collections
import contextlib
import contextvars
import dataclasses
import datetime
import functools
import hashlib
import importlib
import json
import os
import random
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from infolib.fingerprint import digest, fingerprint, is_json_scalar, json_scalar

T = TypeVar("T")

#: Bumped whenever the layout of an entry changes; entries of another format are never read.
FORMAT = 2
#: File (inside the cache directory) listing the entries the last complete ``make book`` read.
BOOK_ENTRIES = "book-entries.txt"
#: When set, every entry read or written is appended (as a path relative to the cache) to this file.
LOG_VARIABLE = "INFOLIB_CACHE_LOG"
#: The key field of a unit that is part of another unit's computation (a segment of a long
#: training, :func:`infolib.train.fit_in_segments`): its value is that unit's key, and
#: :mod:`infolib.shard` puts both in the same shard, so that a shard continues what it began.
SEGMENT_OF = "segment_of"
#: Set by :mod:`infolib.shard` while it runs one shard of a chapter, else None: called as
#: ``unit_hook(path, canonical_key, compute)`` in place of ``compute()`` for each unit that is not
#: in the cache, it returns ``(value, store)``, where ``store`` is False for a stand-in for a unit
#: that another shard computes (never written).
unit_hook: Callable[[Path, str, Callable], tuple[Any, bool]] | None = None


_UNIT: contextvars.ContextVar[str | None] = contextvars.ContextVar("infolib_unit", default=None)

#: {float-path digest: entries} of the entries this process read or wrote (:func:`float_paths`)
_FLOAT_PATHS: collections.Counter = collections.Counter()
#: what an entry written before entries recorded their float path counts under
UNRECORDED = "unrecorded"


def float_paths() -> dict[str, int]:
    """{float-path digest (:func:`infolib.numerics.float_path_digest`) of the process that
    computed an entry: entries} over the entries this process read or wrote, so that a chapter's
    provenance says on which float paths its units were computed (entries older than the record
    count as ``"unrecorded"``)."""
    return dict(_FLOAT_PATHS)


def note_float_path(meta: Any) -> None:
    """Count the float path recorded in an entry's metadata (see :func:`float_paths`)."""
    found = meta.get("float_path") if isinstance(meta, dict) else None
    _FLOAT_PATHS[found if isinstance(found, str) else UNRECORDED] += 1


def current_unit() -> str | None:
    """The entry name of the cached unit whose ``compute`` is running (the innermost one), or
    None: a part of that unit stored on its own (a segment of its training) names it in its key,
    so that it belongs to this version of the unit's code and data preparation only."""
    return _UNIT.get()


@contextlib.contextmanager
def running_unit(path: Path):
    """:func:`current_unit` is the entry name of ``path`` (its stem) inside the block: wherever a
    unit's ``compute()`` runs (:func:`cached`, a worker of :mod:`infolib.parallel`)."""
    token = _UNIT.set(Path(path).stem)
    try:
        yield
    finally:
        _UNIT.reset(token)


def unit_seed(canonical: str) -> int:
    """The seed of a unit's global generators: the first 8 bytes of sha256 of its canonical key
    (:func:`canonical_key`), big-endian, as an int in [0, 2**63)."""
    return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big") >> 1


@contextlib.contextmanager
def seeded_globals(canonical: str):
    """Inside the block Python's ``random``, numpy's global generator (``np.random.seed``) and
    torch's (``torch.manual_seed``: the CPU's and every CUDA device's, when CUDA starts if it has
    not) start from :func:`unit_seed` of the unit's key; after it, Python's, numpy's, torch's CPU
    and the started CUDA devices' generators are as they were before the block."""
    import torch

    seed = unit_seed(canonical)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    started = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    try:
        with torch.random.fork_rng(devices=started):
            torch.manual_seed(seed)
            random.seed(seed)
            np.random.seed(seed % 2**32)
            yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


class CacheWarning(UserWarning):
    """An entry was unreadable or could not be written; the value was (re)computed."""


def cache_warning(message: str, stacklevel: int = 1) -> None:
    """Issue a :class:`CacheWarning` from the caller's caller (``stacklevel`` as for
    ``warnings.warn``), counted in :func:`unit_warnings`."""
    _note_warning(_category_name(CacheWarning), message, None)
    warnings.warn(message, CacheWarning, stacklevel=stacklevel + 1)


class UnstorableValue(TypeError):
    """A value holds something an entry cannot store without pickle."""


def cache_dir(root: str | os.PathLike | None = None) -> Path | None:
    """``root``, else ``$INFOLIB_CACHE`` if set, else ``~/.cache/infolib``; None when caching is
    off (``INFOLIB_CACHE=off``). Not created here: entries create it when they are written."""
    if root is None:
        root = os.environ.get("INFOLIB_CACHE") or Path.home() / ".cache" / "infolib"
    if str(root).strip().lower() == "off":
        return None
    return Path(root).expanduser()


def canonical_key(key: dict) -> str:
    """The key as canonical JSON (sorted keys); numpy scalars become numbers, tuples lists.

    Raises ``TypeError`` naming the entry whose value (or dict key) JSON cannot hold.
    """
    if not isinstance(key, dict):
        raise TypeError(f"key must be a dict, got {type(key).__name__}")
    return json.dumps(_plain(key, "key"), sort_keys=True, allow_nan=True)


def _plain(value: Any, where: str) -> Any:
    if is_json_scalar(value):
        return json_scalar(value)
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


def entry_path(
    key: dict,
    compute: Callable,
    *,
    root: str | os.PathLike | None = None,
    version: Any = None,
) -> Path | None:
    """The file that holds (or would hold) the entry of ``key`` computed by ``compute``; None when
    caching is off. ``<cache>/<key["chapter"]>/<sha256 of format, key and code>.npz``."""
    directory = cache_dir(root)
    if directory is None:
        return None
    name = _entry_name(canonical_key(key), compute, version)
    return directory / _chapter_folder(key) / f"{name}.npz"


def _entry_name(canonical: str, compute: Callable, version: Any) -> str:
    code = digest(fingerprint(compute, version=version))
    text = f"format {FORMAT}\n{canonical}\n{code}"
    return hashlib.sha256(text.encode()).hexdigest()


def _chapter_folder(key: dict) -> str:
    chapter = key.get("chapter")
    if not isinstance(chapter, str) or not chapter:
        return "_no_chapter"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", chapter).lstrip(".") or "_no_chapter"


def cached(
    key: dict,
    compute: Callable[[], T],
    *,
    root: str | os.PathLike | None = None,
    enabled: bool = True,
    version: Any = None,
) -> T:
    """``compute()``, or its stored value from an earlier call with the same key and code.

    ``key`` is a JSON-serializable dict describing the unit (chapter, experiment, seed, settings,
    and the data it reads); ``compute`` any callable taking no arguments, a lambda included. The
    code it runs is part of the entry's name (see the module docstring); ``version`` (any plain
    value) adds what that cannot see. A malformed, unreadable or crafted entry is recomputed with
    a :class:`CacheWarning` naming the file. When the entry cannot be written (read-only folder,
    a value the format cannot hold), the value is returned with a warning naming the path and
    ``INFOLIB_CACHE``. ``enabled=False`` or ``INFOLIB_CACHE=off`` computes without reading or
    writing anything.
    """
    canonical = canonical_key(key)
    if not callable(compute):
        raise TypeError(f"compute must be a callable taking no arguments, got {compute!r}")
    path = entry_path(key, compute, root=root, version=version) if enabled else None
    if path is None:
        with seeded_globals(canonical):
            return compute()
    if path.exists():
        try:
            value = read_entry(path, canonical)
        except Exception as error:  # whatever is wrong with the file, the unit is recomputed
            cache_warning(f"cache entry {path} is unusable ({error}); recomputing", stacklevel=2)
        else:
            _log_use(path)
            return value
    caught: list[warnings.WarningMessage] = []
    try:
        with running_unit(path), seeded_globals(canonical), \
                warnings.catch_warnings(record=True) as caught:
            store = True
            if unit_hook is None:
                value = compute()
            else:
                value, store = unit_hook(path, canonical, compute)
    finally:  # shown now, stored with the value, shown again on each read
        issued = warning_records(caught)
        reissue(issued, canonical)
    if not store:
        return value
    try:
        write_entry(path, canonical, value, of_the_computation(issued))
    except (OSError, UnstorableValue) as error:
        cache_warning(
            f"the result was not cached: cannot write {path} ({error}). It is returned anyway; "
            "set INFOLIB_CACHE to a writable folder (or to 'off') to cache it next time",
            stacklevel=2,
        )
    else:
        _log_use(path)
    return value


# --- the entry format -------------------------------------------------------------------------

def write_entry(path: Path, canonical: str, value: Any, issued: list[dict] = ()) -> None:
    """Write ``value`` under ``path`` atomically: an ``.npz`` whose member ``__entry__`` holds
    ``{"format", "key", "created", "float_path", "warnings", "value"}`` as UTF-8 JSON
    (``float_path``: the digest of the float path of the process that computed it,
    :mod:`infolib.numerics`; ``warnings``: ``issued``, the :func:`warning_records` of the
    computation) and whose other members are the arrays the value refers to. Raises
    :class:`UnstorableValue` before writing anything when the value holds what the format cannot
    store."""
    from infolib.numerics import float_path_digest

    arrays: dict[str, np.ndarray] = {}
    tree = _encode(value, arrays, "value")
    meta = {"format": FORMAT, "key": canonical,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "float_path": float_path_digest(), "warnings": list(issued), "value": tree}
    text = json.dumps(meta, allow_nan=True).encode()
    members = {"__entry__": np.frombuffer(text, dtype=np.uint8), **arrays}
    _remove_stale_temporaries(str(path.parent))
    atomic_write(path, lambda file: np.savez(file, **members))
    note_float_path(meta)


def entry_meta(path: Path) -> Any:
    """The ``__entry__`` member of the entry at ``path`` (format, key and value tree, as JSON),
    read with ``allow_pickle=False``; ``ValueError`` when the file has none."""
    with np.load(path, allow_pickle=False) as members:
        return _meta(members)


def _meta(members) -> Any:
    if "__entry__" not in members.files:
        raise ValueError("no __entry__ member")
    return json.loads(members["__entry__"].tobytes().decode())


def read_entry(path: Path, canonical: str) -> Any:
    """The value stored at ``path``, issuing again the warnings its computation issued
    (:func:`reissue`); ``ValueError`` when the file is not an entry of this format for this key
    (arrays are read with ``allow_pickle=False``: no code runs)."""
    with np.load(path, allow_pickle=False) as members:
        meta = _meta(members)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"not an entry of format {FORMAT}")
        if meta.get("key") != canonical:
            raise ValueError("it holds another key")
        value = _decode(meta["value"], members)
        issued = _stored_warnings(meta)
    note_float_path(meta)
    reissue(issued, canonical)
    return value


# --- the warnings of a computation ------------------------------------------------------------

#: {(category, message): [times, [the units that issued it, in words]]} of the warnings of the
#: units this process computed or read, and of the cache's own (:func:`unit_warnings`)
_UNIT_WARNINGS: dict[tuple[str, str], list] = {}
#: the fields of a unit's key that name it to a reader, in this order, where the key has them
UNIT_FIELDS = ("experiment", "condition", "configuration", "seed")


def unit_warnings() -> list[dict]:
    """``[{"category", "message", "times", "units"}]``: the warnings the units this process
    computed or read issued (from their entries: a unit read from the cache counts as when it was
    computed) and the cache's own :class:`CacheWarning` (an entry unusable or not written), in
    the order first met, so that a chapter's claims can say under what warnings its numbers were
    made. ``units``: the units that issued it, each as its key's :data:`UNIT_FIELDS`
    (``"experiment final, seed 4"``), without repeats; empty for the cache's own."""
    return [{"category": category, "message": message, "times": times, "units": list(units)}
            for (category, message), (times, units) in _UNIT_WARNINGS.items()]


def _note_warning(category: str, message: str, unit: str | None) -> None:
    times_and_units = _UNIT_WARNINGS.setdefault((category, message), [0, []])
    times_and_units[0] += 1
    words = _unit_words(unit)
    if words and words not in times_and_units[1]:
        times_and_units[1].append(words)


def _unit_words(canonical: str | None) -> str:
    """``experiment final, seed 4``: the :data:`UNIT_FIELDS` of a canonical key; "" for none."""
    try:
        key = json.loads(canonical) if canonical else {}
    except ValueError:
        return ""
    if not isinstance(key, dict):
        return ""
    return ", ".join(f"{name} {key[name]}" for name in UNIT_FIELDS
                     if is_json_scalar(key.get(name)) and key.get(name) is not None)


def _category_name(category: type) -> str:
    return f"{category.__module__}.{category.__qualname__}"


def warning_records(caught: list[warnings.WarningMessage]) -> list[dict]:
    """``[{"category", "message", "filename", "lineno"}]`` of warnings caught while a unit was
    computed (``category``: the class's module and qualified name), as an entry stores them."""
    return [{"category": _category_name(w.category), "message": str(w.message),
             "filename": str(w.filename), "lineno": int(w.lineno)} for w in caught]


#: the categories an entry does not store: the cache's own, and warnings about code rather than
#: numbers (a library's deprecations, often issued once per process by an import inside whichever
#: unit ran first): shown when issued
_NOT_STORED = frozenset(map(_category_name, (CacheWarning, DeprecationWarning,
                                             PendingDeprecationWarning, FutureWarning)))


def of_the_computation(issued: list[dict]) -> list[dict]:
    """The records of ``issued`` that an entry stores: all but the :class:`CacheWarning` of a
    unit this one read (about the cache at that moment, not about the computation) and
    deprecations (``DeprecationWarning``, ``PendingDeprecationWarning``, ``FutureWarning``)."""
    return [w for w in issued if w["category"] not in _NOT_STORED]


def _stored_warnings(meta: dict) -> list[dict]:
    """The warnings of an entry's metadata; ``ValueError`` when they are malformed (an entry
    written before warnings were stored has none)."""
    issued = meta.get("warnings", [])
    fields = {"category": str, "message": str, "filename": str, "lineno": int}
    if not isinstance(issued, list) or not all(
            isinstance(w, dict) and set(w) == set(fields)
            and all(isinstance(w[name], kind) for name, kind in fields.items()) for w in issued):
        raise ValueError("malformed warnings")
    return issued


def _warning_category(name: str) -> type[Warning] | None:
    """The warning class named ``module.qualname`` when it is a built-in one or one of
    ``infolib``'s (the only modules an entry's text may make this process import), else None."""
    module, _, qualname = name.rpartition(".")
    found = (getattr(builtins, qualname, None) if module == "builtins"
             else _infolib_attribute(module, qualname))
    return found if isinstance(found, type) and issubclass(found, Warning) else None


def reissue(issued: list[dict], unit: str | None = None, *, from_worker: bool = False) -> None:
    """Issue again the warnings :func:`warning_records` recorded, with their category, text,
    file and line (so the filters in force decide, as they would have for the computation). A
    category this process cannot name safely (another package's) is issued as ``UserWarning``,
    its text prefixed with the category's name.

    Those an entry stores (:func:`of_the_computation`) are counted in :func:`unit_warnings`
    under ``unit`` (the canonical key of the unit that issued them), unless another unit is
    being computed: that unit stores them too and counts them when it finishes or is read, so a
    warm run counts what the cold run counted. ``from_worker``: a :class:`CacheWarning` is
    counted too (issued in a worker process, where it was counted in vain)."""
    counted = of_the_computation(issued)
    if from_worker:
        counted += [w for w in issued if w["category"] == _category_name(CacheWarning)]
    if current_unit() is None:
        for w in counted:
            _note_warning(w["category"], w["message"], unit)
    for w in issued:
        category = _warning_category(w["category"])
        message = w["message"] if category is not None else f"{w['category']}: {w['message']}"
        warnings.warn_explicit(message, category or UserWarning, w["filename"], w["lineno"])


def _encode(value: Any, arrays: dict, where: str) -> Any:
    """A JSON tree for ``value``; arrays go into ``arrays`` under fresh names. Every container is
    tagged (``{"list": [...]}``), so a stored dict can never be taken for a tag."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and type(value) is int:
        return value
    if isinstance(value, float) and type(value) is float:
        return value
    if isinstance(value, (np.ma.MaskedArray, np.matrix)):  # np.asarray would drop the mask
        raise UnstorableValue(f"{where} is a {type(value).__name__}, which an entry cannot hold "
                              "without losing its mask or its matrix product; store plain arrays")
    if isinstance(value, (np.generic, np.ndarray)):
        array = np.asarray(value)
        return {"array": _store_array(array, arrays, where),
                "scalar": isinstance(value, np.generic), "object": array.dtype.hasobject}
    if isinstance(value, (list, tuple)):
        tag = "list" if isinstance(value, list) else "tuple"
        return {tag: [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, dict):
        return {"dict": [[_encode(k, arrays, f"{where} key"), _encode(v, arrays, f"{where}[{k!r}]")]
                         for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and _module_of_class(type(value)):
        return {"dataclass": f"{type(value).__module__}:{type(value).__qualname__}",
                "fields": {f.name: _encode(getattr(value, f.name), arrays, f"{where}.{f.name}")
                           for f in dataclasses.fields(value) if f.init}}
    module = type(value).__module__.split(".")[0]
    if module == "torch":
        import torch

        if isinstance(value, torch.Tensor):
            array = value.detach().cpu()
            try:
                array = array.numpy()
            except TypeError as error:  # bfloat16 and friends have no numpy dtype
                raise UnstorableValue(
                    f"{where} is a tensor of dtype {value.dtype}: {error}") from None
            return {"tensor": _store_array(array, arrays, where)}
    if module == "pandas":
        return _encode_pandas(value, arrays, where)
    raise UnstorableValue(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which a cache entry "
        "cannot hold; return numbers, str, None, numpy arrays, tensors, pandas frames and series, "
        "infolib dataclasses (Codelength), or lists, tuples and dicts of them"
    )


def _store_array(array: np.ndarray, arrays: dict, where: str) -> str:
    if array.dtype.hasobject:
        flat = array.ravel()
        if all(isinstance(item, str) for item in flat):
            array = _unicode(flat, where).reshape(array.shape)
        else:
            raise UnstorableValue(f"{where} is an array of Python objects ({array.dtype})")
    name = f"a{len(arrays)}"
    arrays[name] = array
    return name


def _unicode(strings: np.ndarray, where: str) -> np.ndarray:
    """A 1-D object array of str as a numpy unicode array, which drops trailing NULs: refused."""
    if any(item.endswith("\x00") for item in strings):
        raise UnstorableValue(f"{where} holds a string ending in NUL, which numpy would drop")
    return strings.astype(str)


def _module_of_class(cls: type) -> bool:
    """Whether ``cls`` is defined in infolib: only its dataclasses (Codelength, ...) are stored."""
    return cls.__module__ == "infolib" or cls.__module__.startswith("infolib.")


def _infolib_dataclass(name: Any) -> type:
    """The infolib dataclass named ``"infolib.module:Qualname"``; anything else is refused, so a
    crafted entry cannot name another class to build."""
    cls = _infolib_attribute(*str(name).partition(":")[::2])
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls) and _module_of_class(cls)):
        raise ValueError(f"not an infolib dataclass: {name!r}")
    return cls


def _infolib_attribute(module_name: str, qualname: str) -> Any:
    """The attribute ``qualname`` of the infolib module ``module_name``, or None when there is
    none: an entry's text may make this process import infolib's modules and no others."""
    if not re.fullmatch(r"infolib(\.\w+)*", module_name) or not qualname.isidentifier():
        return None
    try:
        return getattr(importlib.import_module(module_name), qualname, None)
    except ImportError:
        return None


def _encode_pandas(value, arrays: dict, where: str) -> Any:
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        if isinstance(value.columns, pd.MultiIndex):  # would come back as one level of tuples
            raise UnstorableValue(f"{where} has MultiIndex columns, which an entry cannot hold; "
                                  "flatten them or return the frame stacked")
        return {"dataframe": {
            "columns": _encode(list(value.columns), arrays, f"{where}.columns"),
            "columns_name": _encode(value.columns.name, arrays, f"{where}.columns.name"),
            "data": [_encode_column(value.iloc[:, i], arrays, f"{where}[{c!r}]")
                     for i, c in enumerate(value.columns)],
            "index": _encode_index(value.index, arrays, f"{where}.index"),
        }}
    if isinstance(value, pd.Series):
        return {"series": {"name": _encode(value.name, arrays, f"{where}.name"),
                           "data": _encode_column(value, arrays, where),
                           "index": _encode_index(value.index, arrays, f"{where}.index")}}
    raise UnstorableValue(f"{where} is a pandas {type(value).__name__}, which an entry cannot hold")


#: pandas dtypes of text that are stored as unicode arrays and restored by name.
_TEXT_DTYPES = ("str", "string", "object")


def _encode_column(series, arrays: dict, where: str) -> Any:
    if isinstance(series.dtype, np.dtype) and not series.dtype.hasobject:
        return {"array": _store_array(series.to_numpy(), arrays, where), "scalar": False}
    if str(series.dtype) in _TEXT_DTYPES:
        values = series.to_numpy(dtype=object)
        missing = np.array([_missing_code(item) for item in values], dtype=np.int8)
        if (missing >= 0).all():
            text = np.where(missing == 0, values, "")
            tree = {"text": _store_array(_unicode(text, where), arrays, where),
                    "dtype": str(series.dtype)}
            if missing.any():
                tree["missing"] = _store_array(missing, arrays, f"{where} (missing)")
            return tree
    raise UnstorableValue(f"{where} has dtype {series.dtype} with values an entry cannot hold")


def _missing_code(item: Any) -> int:
    """0 for a str, 1 None, 2 a float NaN, 3 pandas' NA; -1 for anything else (unstorable)."""
    import pandas as pd

    if isinstance(item, str):
        return 0
    if item is None:
        return 1
    if isinstance(item, float) and item != item:
        return 2
    return 3 if item is pd.NA else -1


def _encode_index(index, arrays: dict, where: str) -> Any:
    import pandas as pd

    if isinstance(index, pd.RangeIndex):
        return {"range": [index.start, index.stop, index.step],
                "name": _encode(index.name, arrays, where)}
    if isinstance(index, pd.MultiIndex):
        return {"multi": [_encode_index(index.get_level_values(i), arrays, f"{where}[{i}]")
                          for i in range(index.nlevels)],
                "names": _encode(list(index.names), arrays, where)}
    return {"index": _encode_column(pd.Series(index, copy=False), arrays, where),
            "name": _encode(index.name, arrays, where)}


def _decode(tree: Any, members) -> Any:
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if not isinstance(tree, dict) or len(tree) == 0:
        raise ValueError(f"malformed value {str(tree)[:80]}")
    if "list" in tree:
        return [_decode(item, members) for item in tree["list"]]
    if "tuple" in tree:
        return tuple(_decode(item, members) for item in tree["tuple"])
    if "dict" in tree:
        return {_decode(k, members): _decode(v, members) for k, v in tree["dict"]}
    if "array" in tree:
        array = _member(members, tree["array"], tree.get("object"))
        return array[()] if tree.get("scalar") else array
    if "text" in tree:
        import pandas as pd

        if tree.get("dtype") not in _TEXT_DTYPES:
            raise ValueError(f"unknown text dtype {tree.get('dtype')!r}")
        text = _member(members, tree["text"]).astype(object)
        if "missing" in tree:
            missing = _member(members, tree["missing"])
            if missing.shape != text.shape or not np.isin(missing, [0, 1, 2, 3]).all():
                raise ValueError("malformed missing values of a text column")
            for code, marker in {1: None, 2: np.nan, 3: pd.NA}.items():  # _missing_code's
                text[missing == code] = marker
        return pd.Series(text, dtype=object).astype(tree["dtype"]).array
    if "tensor" in tree:
        import torch

        return torch.from_numpy(np.array(_member(members, tree["tensor"]), order="C"))  # 0-d stays
    if "dataclass" in tree:
        cls = _infolib_dataclass(tree["dataclass"])
        return cls(**{name: _decode(field, members) for name, field in tree["fields"].items()})
    if "dataframe" in tree:
        import pandas as pd

        frame = tree["dataframe"]
        columns = _decode(frame["columns"], members)
        index = _decode_index(frame["index"], members)
        # each column as a Series of its own dtype: from bare arrays pandas would infer str for
        # an object column of text
        data = [_decode(column, members) for column in frame["data"]]
        result = pd.DataFrame({i: pd.Series(column, index=index, dtype=column.dtype)
                               for i, column in enumerate(data)}, index=index)
        result.columns = pd.Index(columns, tupleize_cols=False,
                                  name=_decode(frame["columns_name"], members))
        return result
    if "series" in tree:
        import pandas as pd

        series = tree["series"]
        data = _decode(series["data"], members)
        return pd.Series(data, dtype=data.dtype, index=_decode_index(series["index"], members),
                         name=_decode(series["name"], members))
    raise ValueError(f"malformed value {str(tree)[:80]}")


def _decode_index(tree: dict, members):
    import pandas as pd

    if "range" in tree:
        return pd.RangeIndex(*tree["range"], name=_decode(tree["name"], members))
    if "multi" in tree:
        levels = [_decode_index(level, members) for level in tree["multi"]]
        return pd.MultiIndex.from_arrays(levels, names=_decode(tree["names"], members))
    return pd.Index(_decode(tree["index"], members), name=_decode(tree["name"], members))


def _member(members, name: Any, as_object: bool = False) -> np.ndarray:
    """The stored array ``name``; ``as_object``: an array of str objects stored as unicode."""
    if not isinstance(name, str) or name not in members.files or name == "__entry__":
        raise ValueError(f"missing array member {name!r}")
    array = members[name]
    return array.astype(object) if as_object else array


# --- files ------------------------------------------------------------------------------------

def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Write a file through ``write(file)`` into a temporary file beside ``path``, then rename it.

    Either the whole new file is at ``path`` or the old one (if any) is untouched; the temporary
    file (``.<name>.<pid>.*.tmp``) is removed when ``write`` or the rename fails, and one left by a
    killed process is removed by the next write into the same folder. Returns ``Path(path)``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    file = tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", delete=False
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


_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


@functools.cache
def _remove_stale_temporaries(folder: str) -> None:
    """Remove temporary files of processes that no longer run (killed during a write); once per
    folder and process, not on every write."""
    if not Path(folder).is_dir():
        return
    for path in Path(folder).glob(".*.tmp"):
        match = _TEMPORARY.match(path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _log_use(path: Path) -> None:
    """Append the entry to ``$INFOLIB_CACHE_LOG`` (what ``make`` records for ``prune``)."""
    log = os.environ.get(LOG_VARIABLE)
    if not log:
        return
    try:
        with open(log, "a") as file:
            file.write(f"{path.parent.name}/{path.name}\n")
    except OSError as error:
        warnings.warn(f"cannot append to {LOG_VARIABLE}={log} ({error})", CacheWarning,
                      stacklevel=3)


# --- the command line -------------------------------------------------------------------------

@dataclasses.dataclass
class Usage:
    entries: int = 0
    bytes: int = 0


def usage(root: str | os.PathLike | None = None) -> dict[str, Usage]:
    """{chapter folder: entries and bytes} of the cache; files of older formats count under
    ``(old format)``, temporary files under ``(temporary)``."""
    directory = _existing(root)
    result: dict[str, Usage] = {}
    for path in sorted(directory.rglob("*")) if directory else []:
        if not path.is_file() or path.name == BOOK_ENTRIES:
            continue
        if path.name.endswith(".tmp"):
            group = "(temporary)"
        elif path.suffix == ".npz" and path.parent != directory:
            group = path.parent.name
        else:
            group = "(old format)"
        use = result.setdefault(group, Usage())
        use.entries += 1
        use.bytes += path.stat().st_size
    return result


def record_book(logs: list[str | os.PathLike], root: str | os.PathLike | None = None) -> Path:
    """Write the entries listed in ``logs`` (the chapters' ``$INFOLIB_CACHE_LOG`` files of one
    complete ``make book``) to ``<cache>/book-entries.txt``, for :func:`prune`."""
    directory = _existing(root, create=True)
    names = sorted({line.strip() for log in logs for line in Path(log).read_text().splitlines()
                    if line.strip()})
    return atomic_write(directory / BOOK_ENTRIES,
                        lambda file: file.write("".join(f"{n}\n" for n in names).encode()))


def prune(root: str | os.PathLike | None = None, *, dry_run: bool = False) -> Usage:
    """Delete every file of the cache that the last complete ``make book`` did not read (entries
    of other profiles, of older code, of older formats, temporary files). Returns what was (or,
    with ``dry_run``, would be) deleted. ``FileNotFoundError`` when no book was recorded."""
    directory = _existing(root)
    listing = directory / BOOK_ENTRIES if directory else None
    if listing is None or not listing.is_file():
        raise FileNotFoundError(
            f"no {BOOK_ENTRIES} in the cache {directory}: run `make book` to completion first "
            "(it records the entries the book reads), then prune"
        )
    keep = set(listing.read_text().split())
    removed = Usage()
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path == listing:
            continue
        if f"{path.parent.name}/{path.name}" in keep and path.parent.parent == directory:
            continue
        removed.entries += 1
        removed.bytes += path.stat().st_size
        if not dry_run:
            path.unlink()
    return removed


def _existing(root, create: bool = False) -> Path | None:
    directory = cache_dir(root)
    if directory is None:
        raise ValueError("caching is off (INFOLIB_CACHE=off): there is no cache to look at")
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    return directory if directory.is_dir() else None


def _megabytes(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infolib.cache",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--root",
                        help="the cache folder (default: $INFOLIB_CACHE or ~/.cache/infolib)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="entries and bytes per chapter")
    prune_parser = commands.add_parser(
        "prune", help="drop what the last complete `make book` did not read")
    prune_parser.add_argument("--dry-run", action="store_true",
                              help="only say what would be removed")
    record = commands.add_parser("record-book", help="record the entries a complete book read")
    record.add_argument("logs", nargs="*", help="the chapters' INFOLIB_CACHE_LOG files")
    args = parser.parse_args(argv)
    directory = cache_dir(args.root)
    if args.command == "info":
        rows = usage(args.root)
        print(f"cache: {directory}")
        for group, use in rows.items():
            print(f"  {group:<28} {use.entries:>6} entries {_megabytes(use.bytes):>12}")
        total = Usage(sum(u.entries for u in rows.values()), sum(u.bytes for u in rows.values()))
        print(f"  {'total':<28} {total.entries:>6} entries {_megabytes(total.bytes):>12}")
    elif args.command == "prune":
        removed = prune(args.root, dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        print(f"{verb} {removed.entries} files ({_megabytes(removed.bytes)}) from {directory}")
    else:
        print(f"recorded the book's entries in {record_book(args.logs, args.root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
