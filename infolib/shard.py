"""Shards: a chapter's cached units computed on several machines, packed, and merged into one cache.

A shard is the set of a chapter's cached units (:func:`infolib.cache.cached`) whose canonical key
hashes to it: unit ``u`` belongs to shard ``int(sha256(key)[:16], 16) % n``, whatever the code,
the machine or the order in which the chapter reaches its units. ::

    python -m infolib.shard run notebooks/fisher.py --shard 0/4 --profile gpu -o fisher-0of4.tar
    python -m infolib.shard merge fisher-*.tar      # into $INFOLIB_CACHE, on the book's machine
    python -m infolib.shard merge *.tar --left left.json  # and the chapters a next round must run
    python -m infolib.shard check notebooks/fisher.py --profile gpu   # what the cache still lacks

``run`` executes the chapter's py:percent cells one by one in a plain module, without jupytext,
papermill or a kernel (matplotlib draws off-screen; the chapter's ``IPython.display`` is a silent
stand-in), with ``-p name value`` parameters set after the cell tagged ``parameters``, as
papermill does. A unit of this shard that is not in the cache is computed and stored; a unit in
the cache is read, whatever its shard; a unit of another shard that is not in the cache is
replaced by a :class:`StandIn`, an inert value that absorbs what the chapter does with it
(indexing, attributes, arithmetic), so that the loop that asked for it goes on to its next unit.
Where a number, a truth value, a length, its items or an array (numpy, torch) is needed, it
raises :class:`UnitInAnotherShard`.

A cell that fails once a stand-in has been handed out is counted, reported and passed over (its
figures and tables would be of an incomplete chapter); so is an iteration of a top-level ``for``
loop that fails after it received a stand-in, so that the loop reaches its other units. What the
cell or iteration may have left half-done becomes a stand-in too (:func:`changed_names`: the
names it assigns, and the objects it changes in place), so that a later unit that reads them is
blocked rather than computed from part of the data. Any other
error fails the shard: an error before any stand-in, or inside a unit's computation. A unit whose
computation uses a stand-in (even if its code catches the error) needs a unit of another shard: it
is *blocked*, not stored, and left for a second round. Whatever happens, the entries this run
wrote, and nothing else, are packed into one tar file with a ``manifest.json`` (chapter, shard,
parameters, versions, GPU, wall time, commit, each entry's compute time, the units left to other
shards), so that no finished GPU work is lost; only the segments of a training
(:func:`infolib.train.fit_in_segments`) whose unit this run finished stay out, since a later run
reads the unit and never its segments (the manifest names each segment's unit, so that such a
segment is not counted as still to compute).

``merge`` checks each pack before it copies anything (regular files only, names of the form
``entries/<chapter>/<sha256>.npz``, the entries the manifest lists, each an entry of the cache's
format read without pickle) and never replaces an entry that differs without ``--replace``. It
then says which units the merged shards left out (blocked or not reached): a second round of the
same shards, run on a cache that holds the first round's packs, computes them.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import datetime
import gzip
import hashlib
import io
import json
import linecache
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
import types
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import infolib.cache as cache_module
from infolib.cache import FORMAT, atomic_write, cache_dir, read_entry

#: Version of the pack layout (the manifest's ``format``).
PACK_FORMAT = 1
MANIFEST = "manifest.json"
_ENTRY_NAME = re.compile(r"^entries/([A-Za-z0-9_][A-Za-z0-9_.-]*)/([0-9a-f]{64})\.npz$")
_MAX_MANIFEST_BYTES = 64 * 2**20


class UnitInAnotherShard(RuntimeError):
    """A value of a unit that another shard computes was needed (and it is not in the cache)."""


class _NoLength(UnitInAnotherShard, TypeError):
    """``len()`` of a stand-in: a TypeError as well, as for any object without a length, so
    that ``list(stand_in)`` (which asks for a length only as a hint) goes on to iterate, which
    refuses too."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``; ``index`` None: no unit is computed (``check``)."""

    index: int | None
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"i/n"`` with ``0 <= i < n``."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
        if not match or not 0 <= int(match.group(1)) < int(match.group(2)):
            raise ValueError(f"shard must be 'i/n' with 0 <= i < n (e.g. 0/4), got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def owner(self, canonical: str) -> int:
        """The shard (0 to count - 1) of the unit whose canonical key is ``canonical``; a unit
        whose key has a ``segment_of`` field (:data:`infolib.cache.SEGMENT_OF`) is in the shard
        of the unit that field names."""
        of = json.loads(canonical).get(cache_module.SEGMENT_OF)
        if isinstance(of, dict):
            canonical = cache_module.canonical_key(of)
        return int(hashlib.sha256(canonical.encode()).hexdigest()[:16], 16) % self.count

    def __str__(self) -> str:
        return "none" if self.index is None else f"{self.index}/{self.count}"


# --- the stand-in for another shard's unit ------------------------------------------------------

def _absorb(self, *args, **kwargs):
    return self._used()


def _refuse(self, *args, **kwargs):
    self._used()
    raise UnitInAnotherShard(f"{self!r} has no value in this shard")


_refused_property = property(_refuse)


class StandIn:
    """The value of a unit that another shard computes, in a shard's run: it absorbs indexing,
    attribute access, calls, comparisons and arithmetic (returning itself), and raises
    :class:`UnitInAnotherShard` where a number, a truth value, a length, items or an array is
    needed (``float``, ``int``, ``bool``, ``in``, ``len``, iteration, so ``**unit``,
    ``dict(unit)`` and ``list(unit)``, ``np.asarray``, ``torch.as_tensor``: not an empty
    sequence or array that would stand for part of the data) and whenever it is used while a
    unit of this shard is computed (that unit needs another shard's: it is blocked)."""

    __slots__ = ("_entry", "_owner")
    __array_ufunc__ = None  # numpy defers to the reflected operators below
    __hash__ = object.__hash__

    def __init__(self, entry: str, owner: int | None) -> None:
        object.__setattr__(self, "_entry", entry)
        object.__setattr__(self, "_owner", owner)

    def _used(self) -> StandIn:
        run = _ACTIVE
        if run is not None:
            run.stand_in_used()
        return self

    def _unnamed(self) -> None:
        """Refuse to be read by a unit's fingerprint (:mod:`infolib.fingerprint`): the value
        this stands for (plain data, perhaps) could change the unit's entry name in a whole
        run, so the unit is named, met and computed in a later round."""
        self._used()
        raise UnitInAnotherShard(f"{self!r} is read by a unit whose entry name may depend on "
                                 "it: that unit is left for a later round")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # other protocols probed by libraries (_repr_html_, ...)
            raise AttributeError(name)
        return self._used()

    # numpy and torch would take it for an empty sequence (np.concatenate([x, unit]) is x)
    __array__ = _refuse
    __array_interface__ = __array_struct__ = __cuda_array_interface__ = _refused_property

    def __setattr__(self, name: str, value: Any) -> None:
        self._used()

    def __iter__(self) -> Iterator:  # not empty: dict(n=1, **unit) would be a row without data
        self._used()
        raise UnitInAnotherShard(f"{self!r} has no items in this shard")

    def __len__(self) -> int:
        self._used()
        raise _NoLength(f"{self!r} has no value (no length) in this shard")

    def __repr__(self) -> str:
        owner = "" if self._owner is None else f", a unit of shard {self._owner}"
        return f"<stand-in for {self._entry}{owner}>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    __getitem__ = __setitem__ = __delitem__ = __call__ = _absorb
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _absorb
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _absorb
    __pow__ = __rpow__ = __matmul__ = __rmatmul__ = __neg__ = __pos__ = __abs__ = _absorb
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = __invert__ = _absorb
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _absorb
    __float__ = __int__ = __index__ = __complex__ = __bool__ = _refuse
    __contains__ = __round__ = __trunc__ = __floor__ = __ceil__ = _refuse


def _holds_stand_in(value: Any, depth: int = 0) -> bool:
    if isinstance(value, StandIn):
        return True
    if depth > 8:
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_stand_in(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(_holds_stand_in(k, depth + 1) or _holds_stand_in(v, depth + 1)
                   for k, v in value.items())
    return False


# --- one shard's run ------------------------------------------------------------------------------

@dataclass
class _Run:
    """What one shard's run did to the cache (the hook :data:`infolib.cache.unit_hook`)."""

    shard: Shard
    root: Path
    only: list[dict[str, str]] = field(default_factory=list)  # see select(); empty: every unit
    excluded: set[str] = field(default_factory=set)  # units of this shard that only leaves out
    matched: set[int] = field(default_factory=set)  # the filters of only that matched a key
    computed: dict[str, float] = field(default_factory=dict)  # entry -> seconds
    computing: list[tuple[str, str]] = field(default_factory=list)  # (entry, key), outermost first
    segments: dict[str, str] = field(default_factory=dict)  # a segment's entry -> its unit's
    read: int = 0
    skipped: dict[str, int | None] = field(default_factory=dict)  # entry -> its shard
    blocked: list[str] = field(default_factory=list)
    failed_units: list[str] = field(default_factory=list)
    stand_ins: int = 0  # handed out or used, so far
    refusals: int = 0  # UnitInAnotherShard raised inside a unit of this shard, so far
    depth: int = 0  # units of this shard being computed (nested calls)
    iterations_passed_over: int = 0
    deadline: float | None = None  # time.monotonic() after which no unit is started
    deferred: set[str] = field(default_factory=set)  # units of this shard past the deadline

    def entry(self, path: Path) -> str:
        return f"{path.parent.name}/{path.name}"

    def select(self, canonical: str) -> bool:
        """Whether this run computes the unit of key ``canonical``: every unit without ``only``,
        else a unit whose key has every field of one of its filters ({field: value}, values
        compared as text, or as numbers where both are: {"network": "wide"} takes the key with
        network="wide", {"lr": "1e-3"} the key with lr=0.001). A segment (a key with
        ``segment_of``) is selected with the unit it is part of. The filters that match are
        noted in ``matched``."""
        if not self.only:
            return True
        key = json.loads(canonical)
        if isinstance(key.get(cache_module.SEGMENT_OF), dict):
            key = key[cache_module.SEGMENT_OF]
        matching = {i for i, selection in enumerate(self.only)
                    if all(field in key and _same_value(key[field], value)
                           for field, value in selection.items())}
        self.matched |= matching
        return bool(matching)

    def unmatched(self) -> list[dict[str, str]]:
        """The filters of ``only`` that matched no key this run met."""
        return [selection for i, selection in enumerate(self.only) if i not in self.matched]

    def __call__(self, path: Path, canonical: str, compute: Callable) -> tuple[Any, bool]:
        entry = self.entry(path)
        of = json.loads(canonical).get(cache_module.SEGMENT_OF)
        if isinstance(of, dict):  # a segment of a training: which unit's, if it is being computed
            unit = cache_module.canonical_key(of)
            for unit_entry, key in reversed(self.computing):
                if key == unit:
                    self.segments[entry] = unit_entry
                    break
        owner = None if self.shard.index is None else self.shard.owner(canonical)
        own = owner is not None and owner == self.shard.index
        # A unit of this shard asked for by a unit of this shard being computed is part of that
        # unit's work: computed whatever --only says (its caller was selected) and after the time
        # limit (its caller started in time), except a training's segment, which waits past the
        # limit for the next round (the segments before it are stored: nothing is lost).
        nested = own and self.depth > 0
        past_limit = self.deadline is not None and time.monotonic() > self.deadline
        late = past_limit and (not nested or isinstance(of, dict))
        selected = self.select(canonical)  # for every unit met: which filters match a key
        excluded = own and not selected and not nested
        if entry in self.blocked:  # met again: it would be computed again up to the same need
            self.stand_ins += 1
            if self.depth:
                self.refusals += 1
                raise UnitInAnotherShard(f"needs {entry}, blocked: it needs a unit of another "
                                         "shard")
            return StandIn(f"{entry} (blocked: it needs a unit of another shard)", None), False
        if not own or late or excluded:
            self.skipped[entry] = owner
            if excluded:
                self.excluded.add(entry)
            elif own:
                self.deferred.add(entry)
            self.stand_ins += 1
            if self.depth:  # a unit of this shard needs it
                self.refusals += 1
                raise UnitInAnotherShard(
                    f"needs {entry}, a segment left for the next round (the time limit passed)"
                    if own else f"needs the unit {entry} of shard {owner}")
            return StandIn(entry if owner is not None else f"{entry} (not in the cache)",
                           owner), False
        self.depth += 1
        self.computing.append((entry, canonical))
        start = time.perf_counter()
        refusals = self.refusals
        try:
            value = compute()
            if _holds_stand_in(value):
                raise UnitInAnotherShard(f"{entry} returned a value of another shard's unit")
            if self.refusals > refusals:  # its code caught the refusal: its value lacks a part
                raise UnitInAnotherShard(f"{entry} caught the refusal of another shard's unit")
        except UnitInAnotherShard:
            self.refusals += 1  # for the unit that called this one, if it catches this
            self.blocked.append(entry)
            if self.depth > 1:  # the unit that called this one is blocked as well
                raise
            self.stand_ins += 1  # blocked, like a unit of another shard, till a later round
            return StandIn(f"{entry} (blocked: it needs a unit of another shard)", None), False
        except BaseException:
            self.failed_units.append(entry)
            raise
        finally:
            self.depth -= 1
            self.computing.pop()
        self.computed[entry] = round(time.perf_counter() - start, 3)
        return value, True

    def stand_in_used(self) -> None:
        self.stand_ins += 1
        if self.depth:  # counted: the unit is blocked even if its code catches the error
            self.refusals += 1
            raise UnitInAnotherShard("a unit of this shard used the value of another shard's unit")

    def written(self) -> list[str]:
        """The entries this run computed that are on disk (a write can fail: with a warning)."""
        return [entry for entry in self.computed if (self.root / entry).is_file()]

    def finished_segments(self, written: list[str]) -> list[str]:
        """The entries of ``written`` that are segments of a training whose unit is in
        ``written`` too: a later run reads the unit, never its segments, so they stay out of the
        pack (a ResNet-18's segments are hundreds of MB each)."""
        done = set(written)
        return [entry for entry in written if self.segments.get(entry) in done]


_ACTIVE: _Run | None = None


def _as_text(value: Any) -> str:
    """A key's value as ``--only`` compares it: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _number(value: Any) -> float | None:
    """``value`` as a number, if it is one or a text that reads as one (not a bool)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _same_value(value: Any, text: str) -> bool:
    """Whether a key's ``value`` is the ``--only`` value ``text``: as text, or as numbers where
    both are numbers (``1e-3`` is 0.001, ``3.0`` is 3)."""
    if _as_text(value) == text:
        return True
    number = _number(value)
    return number is not None and number == _number(text)


def _filter_text(selection: dict[str, str]) -> str:
    return ",".join(f"{name}={value}" for name, value in selection.items())


def _stored_key(path: Path) -> str | None:
    """The canonical key an entry holds, or None when it cannot be read."""
    try:
        return cache_module.entry_meta(path)["key"]
    except Exception:  # unreadable or not an entry: no key to match
        return None


def parse_only(texts: list[str] | None) -> list[dict[str, str]]:
    """``--only`` filters: each text is ``field=value[,field=value...]``, a unit is computed
    when its key matches every pair of one text."""
    filters = []
    for text in texts or []:
        pairs = [part.split("=", 1) for part in text.split(",")]
        if not all(len(pair) == 2 and pair[0].strip() for pair in pairs):
            raise ValueError(f"--only takes field=value[,field=value...], got {text!r}")
        filters.append({name.strip(): value.strip() for name, value in pairs})
    return filters


# --- a py:percent chapter -------------------------------------------------------------------------

@dataclass
class Cell:
    """One code cell of a py:percent file: its tags, first line (1-based) and source."""

    tags: tuple[str, ...]
    line: int
    source: str


_MARKER = re.compile(r"^#\s*%%(?P<rest>.*)$")


def read_cells(path: str | os.PathLike) -> list[Cell]:
    """The code cells of a jupytext py:percent file (markdown and raw cells left out): a cell
    starts at a ``# %%`` line, whose ``tags=[...]`` are read; text before the first marker (the
    jupytext header, comments) is not a cell."""
    return cells_of(Path(path).read_text())


def cells_of(text: str) -> list[Cell]:
    """The code cells of the text of a py:percent file (see :func:`read_cells`)."""
    lines = text.splitlines(keepends=True)
    cells: list[Cell] = []
    current: tuple[str, tuple[str, ...], int] | None = None  # (kind, tags, first line)
    body: list[str] = []

    def close() -> None:
        if current is not None and current[0] == "code" and "".join(body).strip():
            cells.append(Cell(current[1], current[2], "".join(body)))

    for number, line in enumerate(lines, start=1):
        match = _MARKER.match(line.rstrip("\n"))
        if match is None:
            body.append(line)
            continue
        close()
        rest = match.group("rest")
        kind = "markdown" if re.search(r"\[(markdown|md|raw)\]", rest) else "code"
        tags = re.search(r"tags\s*=\s*(\[[^\]]*\])", rest)
        current = (kind, tuple(ast.literal_eval(tags.group(1))) if tags else (), number + 1)
        body = []
    close()
    return cells


def assigned_names(tree: ast.AST) -> set[str]:
    """The names a cell binds at its top level (assignments, loops, imports, defs, classes);
    not the names bound inside its functions, classes, lambdas or comprehensions."""
    names: set[str] = set()
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
        stack.extend(ast.iter_child_nodes(node))
    return names


#: Methods that change their object in place (lists, dicts, sets; torch's ``name_`` methods too).
_IN_PLACE = frozenset({"append", "extend", "insert", "pop", "popitem", "remove", "clear",
                       "update", "setdefault", "add", "discard", "sort", "reverse"})


def _base_name(node: ast.AST) -> str | None:
    """``rows`` of ``rows``, ``rows[i]``, ``frame.loc[i, "a"]``, ``d[k].append``."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def changed_names(statements: list[ast.stmt]) -> tuple[set[str], set[str]]:
    """What ``statements`` (a cell, a loop's body) may leave half-done when they fail midway:
    (the names they bind or change in place at their top level, the names among them that a
    ``def``, ``class`` or ``import`` binds). Changed in place: the base name of a subscript or
    attribute target (``rows[i] = x``, ``frame.loc[i] = x``, ``del d[k]``, ``total.x += 1``) and
    the object of a method that changes it (``rows.append(x)``, ``d.update(e)``,
    ``w.add_(x)``). Not inside functions, classes, lambdas or comprehensions."""
    names: set[str] = set()
    definitions: set[str] = set()
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            definitions.add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound = {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
            names |= bound
            definitions |= bound
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif (isinstance(node, (ast.Subscript, ast.Attribute))
              and isinstance(node.ctx, (ast.Store, ast.Del))) or (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and (node.func.attr in _IN_PLACE or (node.func.attr.endswith("_")
                                                     and not node.func.attr.startswith("_")))):
            base = _base_name(node.func.value if isinstance(node, ast.Call) else node.value)
            if base is not None:
                names.add(base)
        stack.extend(ast.iter_child_nodes(node))
    return names, definitions


_ABSENT = object()


def _stand_in_changed(namespace: dict, changed: tuple[set[str], set[str]], before: dict,
                      why: str) -> None:
    """After a cell or loop iteration was passed over: each name it may have left half-done (see
    :func:`changed_names`) becomes a stand-in, but for a ``def``, ``class`` or ``import`` that
    ran (its object is whole) and a module."""
    names, definitions = changed
    for name in names:
        value = namespace.get(name, _ABSENT)
        if isinstance(value, types.ModuleType) or (
                name in definitions and value is not before.get(name, _ABSENT)):
            continue
        namespace[name] = StandIn(f"{name} ({why} was passed over)", None)


_ITERATION_HELPER = "__infolib_shard_iteration__"


_LOOPS = "__infolib_shard_loops__"  # in the chapter's namespace: the guarded loops' bodies
_FILE = "__infolib_shard_file__"  # and the chapter's path (a kernel defines no __file__)


class _LoopGuard(ast.NodeTransformer):
    """Wraps the body of every top-level ``for`` loop (not those in functions) so that an
    iteration that fails after it received a stand-in is passed over (see :func:`_iteration`);
    ``loops`` gets each guarded loop's body statements and the names they define, by the number
    the guard passes."""

    def __init__(self, loops: dict[int, tuple[list[ast.stmt], set[str]]]) -> None:
        self.loops = loops

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = visit_FunctionDef

    def visit_For(self, node: ast.For) -> ast.For:
        number = len(self.loops)
        # the body, and the loop variable (on the header's lines: never the interrupted one)
        target = ast.Assign([node.target], node.iter, lineno=node.lineno,
                            col_offset=node.col_offset, end_lineno=node.iter.end_lineno,
                            end_col_offset=node.iter.end_col_offset)
        body = [*node.body, target]
        self.loops[number] = (body, changed_names(body)[1])  # and the names it defines
        self.generic_visit(node)
        mark = f"__infolib_shard_mark_{number}__"
        guard = ast.parse(
            f"{mark} = {_ITERATION_HELPER}(None, None, {number}, globals())\n"
            "try:\n    pass\n"
            f"except Exception as __infolib_shard_error__:\n"
            f"    if not {_ITERATION_HELPER}({mark}, __infolib_shard_error__, {number}, "
            "globals()):\n        raise\n"
        ).body
        guard[1].body = node.body
        node.body = [ast.copy_location(statement, node.body[0]) for statement in guard]
        return ast.fix_missing_locations(node)


def _interrupted(statements: list[ast.stmt], error: BaseException, filename: str) -> int:
    """The index of the statement of ``statements`` that ``error`` interrupted, found by its
    line in the chapter's module-level code; 0 (the first) when the line is not found."""
    trace = error.__traceback__
    while trace is not None:
        code = trace.tb_frame.f_code
        if code.co_filename == filename and code.co_name == "<module>":
            line = trace.tb_lineno
            return next((i for i, statement in enumerate(statements)
                         if statement.lineno <= line <= (statement.end_lineno or line)), 0)
        trace = trace.tb_next
    return 0


def _reads_stand_in(statement: ast.stmt, namespace: dict) -> bool:
    """Whether ``statement`` reads a name that holds a stand-in (a library that checks a type
    before using a value, as seaborn does a DataFrame, refuses one without touching it)."""
    return any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
               and _holds_stand_in(namespace.get(node.id)) for node in ast.walk(statement))


def _left_half_done(statements: list[ast.stmt], error: BaseException,
                    filename: str) -> tuple[set[str], set[str]]:
    """:func:`changed_names` of the statement of ``statements`` that ``error`` interrupted and of
    those after it, which did not run (of all of them when its line is not found)."""
    return changed_names(statements[_interrupted(statements, error, filename):])


@dataclass
class _Outcome:
    """How the cells of one run went."""

    cells: int = 0
    passed_over: list[dict] = field(default_factory=list)  # cells that failed after stand-ins
    error: str | None = None  # the error that failed the run


def _iteration(mark: tuple | None, error: BaseException | None, loop: int,
               namespace: dict) -> Any:
    """In a guarded loop: ``(None, None, loop, namespace)`` gives the mark at an iteration's
    start (stand-ins so far, the objects the names its body defines hold); ``(mark, error, loop,
    namespace)`` says whether to pass the iteration over (a stand-in was handed out or used
    since the mark, and no unit of this shard failed), and then makes stand-ins of what it may
    have left half-done (:func:`_left_half_done`)."""
    run = _ACTIVE
    body, definitions = namespace[_LOOPS][loop]
    if mark is None:
        return (0 if run is None else run.stand_ins,
                {name: namespace.get(name, _ABSENT) for name in definitions})
    if run is not None and run.stand_ins > mark[0] and not run.failed_units:
        run.iterations_passed_over += 1
        changed = _left_half_done(body, error, namespace[_FILE])
        _stand_in_changed(namespace, changed, mark[1], "a loop iteration that sets it")
        return True
    return False


def _format_value(text: str) -> Any:
    """A ``-p`` value as papermill reads it: a Python literal when it is one, else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@contextlib.contextmanager
def _chapter_module(workdir: Path) -> Iterator[types.ModuleType]:
    """A fresh ``__main__`` module to run a chapter in (as a kernel does), matplotlib off-screen,
    and ``workdir`` as the working directory; everything restored afterwards. The chapter's own
    ``import IPython.display`` gets a quiet stand-in, whether IPython is installed or not; the
    libraries it uses see ``sys.modules`` as it is (they probe a real IPython there)."""
    module = types.ModuleType("__main__")
    saved_main = sys.modules.get("__main__")
    saved_cwd = Path.cwd()
    saved_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"  # for what the chapter starts; not left for other programs
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        pass
    ipython = _ipython_stand_in()
    module.__dict__["__builtins__"] = {**builtins.__dict__,
                                       "__import__": _importer(ipython)}
    module.__dict__["display"] = ipython.display.display  # a kernel's built-in
    sys.modules["__main__"] = module
    os.chdir(workdir)
    try:
        yield module
    finally:
        os.chdir(saved_cwd)
        if saved_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved_backend
        if saved_main is not None:
            sys.modules["__main__"] = saved_main


def _importer(ipython: types.ModuleType) -> Callable:
    """``__import__`` for the chapter's code: ``IPython`` and ``IPython.display`` are the
    stand-ins, everything else is imported as usual."""
    real = builtins.__import__

    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name in ("IPython", "IPython.display"):
            return ipython.display if fromlist and name == "IPython.display" else ipython
        return real(name, globals, locals, fromlist, level)

    return import_


def _ipython_stand_in() -> types.ModuleType:
    """``IPython`` for a shard's chapter: ``get_ipython()`` is None (no kernel); in its
    ``display`` module ``display`` does nothing and any rich object (``Markdown``, ``HTML``,
    ...) holds its arguments."""
    ipython = types.ModuleType("IPython")
    module = types.ModuleType("IPython.display")

    class _Rich:
        def __init__(self, *args, **kwargs):
            self.args, self.kwargs = args, kwargs

    def display(*objects, **kwargs):
        return None

    def rich(name: str) -> type:  # Markdown, HTML, Image, ...
        if name.startswith("_"):
            raise AttributeError(name)
        return _Rich

    module.display = display
    module.__getattr__ = rich
    ipython.display = module
    ipython.get_ipython = lambda: None
    return ipython


def execute(
    path: str | os.PathLike,
    run: _Run,
    parameters: dict[str, Any],
    *,
    workdir: Path,
    log: Callable[[str], None] = print,
) -> _Outcome:
    """Run the code cells of the chapter at ``path`` under ``run`` (see the module docstring)."""
    global _ACTIVE
    path = Path(path).resolve()
    text = path.read_text()
    cells = cells_of(text)
    tagged = [i for i, cell in enumerate(cells) if "parameters" in cell.tags]
    if parameters and not tagged:
        raise ValueError(f"{path.name} has no cell tagged 'parameters' to override")
    if tagged:
        known = assigned_names(ast.parse(cells[tagged[0]].source))
        unknown = sorted(set(parameters) - known)
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}: the parameters of {path.name} are "
                             f"{sorted(known)}")
    outcome = _Outcome()
    # the fingerprint reads the chapter's functions from linecache: pinned to the text run here
    # (no modification time: never reloaded), so that an edit of the file while it runs cannot
    # give the running code the edited code's fingerprint
    with _chapter_module(workdir) as module:
        namespace = module.__dict__
        namespace[_ITERATION_HELPER] = _iteration
        namespace[_LOOPS] = {}
        namespace[_FILE] = str(path)
        _ACTIVE = run
        previous_hook, cache_module.unit_hook = cache_module.unit_hook, run
        pinned = linecache.cache.get(str(path))
        linecache.cache[str(path)] = (len(text), None, text.splitlines(keepends=True), str(path))
        try:
            for i, cell in enumerate(cells):
                outcome.cells += 1
                tree = ast.parse(cell.source)
                before = {name: namespace.get(name, _ABSENT)
                          for name in changed_names(tree.body)[1]}
                # the lines of the file itself, for tracebacks and for the fingerprint's source
                ast.increment_lineno(tree, cell.line - 1)
                statements = list(tree.body)
                code = compile(_LoopGuard(namespace[_LOOPS]).visit(tree), str(path), "exec")
                start = time.perf_counter()
                mark = run.stand_ins
                try:
                    exec(code, namespace)
                    if tagged and i == tagged[0]:
                        namespace.update(parameters)
                except Exception as error:
                    where = f"cell {i + 1}/{len(cells)} (line {cell.line})"
                    if run.failed_units or not run.stand_ins:
                        outcome.error = f"{where}: {type(error).__name__}: {error}"
                        log(f"[shard] {where} failed:\n{traceback.format_exc()}")
                        return outcome
                    # a cell that used no stand-in itself may have a bug of its own (or fail on
                    # data an earlier stand-in thinned): said, so that it is looked at now
                    used = run.stand_ins > mark or _reads_stand_in(
                        statements[_interrupted(statements, error, str(path))], namespace)
                    outcome.passed_over.append({"cell": i + 1, "line": cell.line,
                                                "error": _one_line(error),
                                                "used a stand-in": used})
                    log(f"[shard] {where} passed over ("
                        + ("it needs units of other shards" if used else
                           "it used no stand-in itself: a bug, or data an earlier stand-in "
                           "left out?") + f"): {_one_line(error)}")
                    _stand_in_changed(namespace, _left_half_done(statements, error, str(path)),
                                      before, "its cell")
                finally:
                    _close_figures()
                log(f"[shard] cell {i + 1}/{len(cells)} (line {cell.line}) "
                    f"{time.perf_counter() - start:.1f} s")
        finally:
            cache_module.unit_hook = previous_hook
            _ACTIVE = None
            if pinned is None:
                linecache.cache.pop(str(path), None)
            else:
                linecache.cache[str(path)] = pinned
    return outcome


def _one_line(error: BaseException) -> str:
    lines = f"{type(error).__name__}: {error}".splitlines() if str(error) else []
    return (lines[0] if lines else type(error).__name__)[:300]


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


# --- packs ------------------------------------------------------------------------------------

@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a session's time running out) raises KeyboardInterrupt, so that what the shard
    finished is still packed; only in the main thread, where signal handlers can be set."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _sigterm_deferred() -> Iterator[None]:
    """A SIGTERM received inside waits till the block ends, then takes its course (the handler
    in force before, the default one: the process ends); only in the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            os.kill(os.getpid(), signal.SIGTERM)


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _versions() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version()}
    try:
        import numpy
        import torch

        info.update(numpy=numpy.__version__, torch=torch.__version__, cuda=torch.version.cuda)
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_pack(output: str | os.PathLike, manifest: dict, root: Path) -> Path:
    """A tar file (gzip-compressed when ``output`` ends in ``.gz`` or ``.tgz``) holding
    ``manifest.json`` and ``entries/<entry>`` for every entry the manifest lists, written
    atomically."""
    output = Path(output)
    mode = "w:gz" if output.name.endswith((".gz", ".tgz")) else "w"
    text = json.dumps(manifest, indent=1, sort_keys=True, allow_nan=True).encode()

    def write(file) -> None:
        with tarfile.open(fileobj=file, mode=mode, format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(text), int(time.time())
            tar.addfile(info, io.BytesIO(text))
            for entry in manifest["entries"]:
                tar.add(root / entry, arcname=f"entries/{entry}", recursive=False)

    return atomic_write(output, write)


def run_shard(
    chapter: str | os.PathLike,
    shard: Shard,
    *,
    output: str | os.PathLike | None,
    profile: str | None = None,
    parameters: dict[str, Any] | None = None,
    root: str | os.PathLike | None = None,
    workdir: str | os.PathLike | None = None,
    time_limit: float | None = None,
    only: list[dict[str, str]] | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Run one shard of the chapter at ``chapter`` and pack the entries it wrote into ``output``
    (no pack when None). ``profile`` and ``parameters`` are the chapter's parameters; ``root``
    the cache (default ``$INFOLIB_CACHE``); ``workdir`` where the chapter runs (default: a
    temporary folder, removed afterwards: the chapter's own outputs are not wanted). After
    ``time_limit`` seconds no unit is started: those left are for a second round. ``only``
    (:func:`parse_only`) computes only the units of the shard whose keys match; the others are
    left as if for another round (a GPU session aimed at one figure). Neither stops a unit that
    a running unit of the shard asks for (it is part of the running unit's work), except a
    training's segment after the time limit, which waits for the next round; the manifest's
    ``only_unmatched`` lists the filters that matched no unit's key. An interrupt
    (Ctrl-C, SIGTERM) stops the chapter and still packs what was finished. Returns the manifest;
    its ``status`` is ``"ok"`` or ``"failed"``."""
    chapter = Path(chapter)
    directory = cache_dir(root)
    if directory is None:
        raise ValueError("a shard needs the result cache: INFOLIB_CACHE must not be 'off'")
    parameters = dict(parameters or {})
    if profile is not None:
        parameters["profile"] = profile
    run = _Run(shard, directory, only=list(only or []))
    started = time.time()
    if time_limit is not None:
        run.deadline = time.monotonic() + time_limit
    # SIGTERM raises KeyboardInterrupt while the chapter runs, then waits till the pack is
    # written: a session whose time runs out still brings back what was finished
    with _sigterm_deferred():
        outcome, used = _execute_in_cache(chapter, run, parameters, workdir, log)
        manifest = _manifest(chapter, run, parameters, outcome, used, started)
        if output is not None:
            write_pack(output, manifest, directory)
    return manifest


def _execute_in_cache(chapter: Path, run: _Run, parameters: dict, workdir,
                      log) -> tuple[_Outcome, list[str]]:
    """Run the chapter with the run's cache (an interrupt ends it as an outcome, not an error):
    its outcome, and the entries it read or wrote (added to the caller's cache log, if any)."""
    with tempfile.TemporaryDirectory(prefix="infolib-shard-") as temporary:
        folder = Path(workdir) if workdir is not None else Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        uses = Path(temporary) / "cache-uses.txt"
        # INFOLIB_CACHE for the chapter's own cached() calls; ./data as make passes it on; every
        # entry read or written listed in `uses` (and in the caller's log, if any)
        data = os.environ.get("INFOLIB_DATA") or str(Path("data").resolve())
        environment = {"INFOLIB_CACHE": str(run.root), cache_module.LOG_VARIABLE: str(uses),
                       "INFOLIB_DATA": data}
        caller_log = os.environ.get(cache_module.LOG_VARIABLE)
        try:
            with _environment(environment), warnings.catch_warnings(), _sigterm_interrupts():
                warnings.filterwarnings("ignore", "FigureCanvasAgg is non-interactive")
                outcome = execute(chapter, run, parameters, workdir=folder, log=log)
        except KeyboardInterrupt:
            outcome = _Outcome(error="interrupted")
        except Exception as error:  # before any cell ran: bad parameters, unreadable file
            outcome = _Outcome(error=f"{type(error).__name__}: {error}")
        used = uses.read_text().split() if uses.is_file() else []
        if caller_log and used:
            with open(caller_log, "a") as file:
                file.write("".join(f"{entry}\n" for entry in used))
    return outcome, used


def _manifest(chapter: Path, run: _Run, parameters: dict, outcome: _Outcome, used: list[str],
              started: float) -> dict:
    """The pack's manifest (see :func:`run_shard`) of a run that has ended."""
    directory = run.root
    run.read = len(set(used) - set(run.computed))
    if run.unmatched():  # a filter may match units that are in the cache already
        for entry in sorted(set(used) - set(run.computed)):
            key = _stored_key(directory / entry)
            if key is not None:
                run.select(key)
    written = run.written()
    finished_segments = run.finished_segments(written)
    packed = [entry for entry in written if entry not in finished_segments]
    commit = _git("rev-parse", "HEAD")
    return {
        "format": PACK_FORMAT,
        "cache_format": FORMAT,
        "chapter": chapter.stem,
        "source": chapter.as_posix(),
        "source_sha256": _sha256_file(chapter) if chapter.is_file() else None,
        "shard": [run.shard.index, run.shard.count],
        "parameters": parameters,
        "status": "failed" if outcome.error else "ok",
        "error": outcome.error,
        "started": datetime.datetime.fromtimestamp(started).astimezone()
                   .isoformat(timespec="microseconds"),  # two rounds may start in one second
        "wall_seconds": round(time.time() - started, 1),
        "commit": commit,
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")) if commit else None,
        **_versions(),
        "entries": {entry: {"seconds": run.computed[entry],
                            "bytes": (directory / entry).stat().st_size} for entry in packed},
        "only": run.only,
        "only_unmatched": run.unmatched(),
        "units": {"computed": len(written), "read": run.read,
                  "skipped": len(run.skipped) - len(run.deferred) - len(run.excluded),
                  "deferred": len(run.deferred), "excluded": len(run.excluded),
                  "blocked": len(run.blocked),
                  "not stored": len(run.computed) - len(written),
                  "segments not packed": len(finished_segments)},
        "skipped": {entry: owner for entry, owner in run.skipped.items() if owner is not None},
        "missing": [entry for entry, owner in run.skipped.items() if owner is None],
        "blocked": run.blocked,
        "not_stored": [entry for entry in run.computed if entry not in written],
        "segments": run.segments,
        "cells": {"run": outcome.cells, "passed over": outcome.passed_over,
                  "loop iterations passed over": run.iterations_passed_over},
    }


# --- merging packs ----------------------------------------------------------------------------

class BadPack(ValueError):
    """A pack that is not one ``run`` wrote: nothing of it is merged."""


@dataclass
class MergeReport:
    """What merging one pack did."""

    pack: Path
    manifest: dict
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # the same file was there already
    kept: list[str] = field(default_factory=list)  # a different file was there and was kept
    replaced: list[str] = field(default_factory=list)


#: What reading a cut or damaged tar or gzip file raises.
_UNREADABLE = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


@contextlib.contextmanager
def _reading(pack: Path) -> Iterator[None]:
    """The errors of a truncated or corrupt pack (a cut download, a damaged artifact) as
    :class:`BadPack`, which names the pack, rather than a traceback."""
    try:
        yield
    except _UNREADABLE as error:
        raise BadPack(f"{pack}: truncated or corrupt ({type(error).__name__}: {error}); nothing "
                      "of it is merged: copy or download it again") from None


def read_manifest(pack: str | os.PathLike) -> dict:
    """The manifest of a pack, after checking its members (see :func:`merge_pack`)."""
    with _reading(Path(pack)), tarfile.open(pack, "r:*") as tar:
        return _checked_members(tar, Path(pack))[0]


def _checked_members(tar: tarfile.TarFile, pack: Path) -> tuple[dict, dict[str, tarfile.TarInfo]]:
    members = tar.getmembers()
    names = [member.name for member in members]
    if len(set(names)) != len(names):
        raise BadPack(f"{pack}: a member name occurs twice")
    entries: dict[str, tarfile.TarInfo] = {}
    manifest_member = None
    for member in members:
        if not member.isreg():
            raise BadPack(f"{pack}: {member.name!r} is not a regular file (links, folders and "
                          "devices are refused)")
        if member.name == MANIFEST:
            manifest_member = member
            continue
        match = _ENTRY_NAME.match(member.name)
        if match is None:
            raise BadPack(f"{pack}: unexpected member {member.name!r}; a pack holds "
                          f"{MANIFEST} and entries/<chapter>/<sha256>.npz only")
        entries[f"{match.group(1)}/{match.group(2)}.npz"] = member
    if manifest_member is None:
        raise BadPack(f"{pack}: no {MANIFEST}")
    if manifest_member.size > _MAX_MANIFEST_BYTES:
        raise BadPack(f"{pack}: {MANIFEST} is {manifest_member.size} bytes, too large")
    try:
        manifest = json.loads(tar.extractfile(manifest_member).read().decode())
    except (ValueError, UnicodeDecodeError) as error:
        raise BadPack(f"{pack}: {MANIFEST} is not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
        raise BadPack(f"{pack}: not a pack of format {PACK_FORMAT}")
    if manifest.get("cache_format") != FORMAT:
        raise BadPack(f"{pack}: its entries are of cache format {manifest.get('cache_format')}, "
                      f"this infolib reads format {FORMAT}")
    shard = manifest.get("shard")
    if not (isinstance(shard, list) and len(shard) == 2
            and all(type(n) is int for n in shard) and 0 <= shard[0] < shard[1]):
        raise BadPack(f"{pack}: the manifest's shard must be [i, n] with 0 <= i < n, got "
                      f"{shard!r}")
    if not isinstance(manifest.get("chapter"), str) or not isinstance(
            manifest.get("parameters", {}), dict):
        raise BadPack(f"{pack}: the manifest's chapter must be a name and its parameters a dict")
    listed = manifest.get("entries")
    if not isinstance(listed, dict) or set(listed) != set(entries):
        raise BadPack(f"{pack}: the entries in the pack are not those its manifest lists")
    return manifest, entries


def _check_entry(path: Path, folder: str) -> None:
    """Read the entry at ``path`` as :func:`infolib.cache.cached` would (no pickle), and check
    that its key names the chapter folder it is filed under."""
    meta = cache_module.entry_meta(path)
    if not isinstance(meta, dict) or not isinstance(meta.get("key"), str):
        raise ValueError("no key")
    key = json.loads(meta["key"])
    if cache_module._chapter_folder(key) != folder:
        raise ValueError(f"its key is of chapter {key.get('chapter')!r}, not {folder!r}")
    read_entry(path, meta["key"])


def merge_pack(pack: str | os.PathLike, *, root: str | os.PathLike | None = None,
               replace: bool = False) -> MergeReport:
    """Add the entries of ``pack`` to the cache ``root`` (default ``$INFOLIB_CACHE``). Every
    member is checked before anything is copied; :class:`BadPack` names what is wrong (a
    truncated or corrupt pack included). An entry
    already present with other bytes (a unit computed twice, on other hardware) is kept unless
    ``replace``."""
    pack = Path(pack)
    directory = cache_dir(root)
    if directory is None:
        raise ValueError("caching is off (INFOLIB_CACHE=off): there is no cache to merge into")
    directory.mkdir(parents=True, exist_ok=True)
    try:
        tar = tarfile.open(pack, "r:*")
    except (OSError, *_UNREADABLE) as error:
        raise BadPack(f"{pack}: not a readable tar file ({error})") from None
    staging = Path(tempfile.mkdtemp(prefix=".merge-", dir=directory))
    try:
        with _reading(pack), tar:
            manifest, entries = _checked_members(tar, pack)
            for entry, member in entries.items():
                staged = staging / entry
                staged.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, open(staged, "wb") as target:
                    shutil.copyfileobj(source, target)
                try:
                    _check_entry(staged, entry.split("/")[0])
                except Exception as error:
                    raise BadPack(
                        f"{pack}: {entry} is not a readable cache entry ({error})") from None
        report = MergeReport(pack, manifest)
        for entry in sorted(entries):
            staged, target = staging / entry, directory / entry
            if target.is_file():
                if _sha256_file(target) == _sha256_file(staged):
                    report.present.append(entry)
                    continue
                if not replace:
                    report.kept.append(entry)
                    continue
                report.replaced.append(entry)
            else:
                report.added.append(entry)
            atomic_write(target, lambda file, staged=staged: _copy(staged, file))
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _copy(source: Path, file) -> None:
    with open(source, "rb") as data:
        shutil.copyfileobj(data, file)


def left_out(manifests: list[dict], root: Path) -> dict[tuple, dict]:
    """Per group of packs of one chapter (at one version of its source and one commit),
    parameters (the profile among them) and shard count: the shards merged
    (``"shards"``), the units the cache lacks whose own shard is among them (``"units"``: blocked,
    computed but not stored (a write failed), or not reached by that shard: a second round
    computes them), those whose own shard is not merged yet (``"pending"``: that shard's pack
    will bring them), and the shards whose latest pack passed over cells or loop iterations
    (``"passed_over"``: the units after them may be met by no shard, so that no manifest names
    them). Once the latest pack of some shard ran the whole chapter without a stand-in
    (``"ran_whole"``), nothing is left: that run met every unit the chapter needs and had each,
    and a unit that only an earlier round met, behind a stand-in (a loop over groups of seeds
    that a whole run stops early), is not one of them. A segment of a training whose unit the
    cache holds is not left: its pack left it out, and nothing reads it."""
    groups: dict[tuple, dict] = {}
    owners: dict[tuple, dict[str, int]] = {}
    latest: dict[tuple, dict[int, tuple]] = {}  # group -> shard -> (started, order, manifest)
    unit_of = {segment: unit for manifest in manifests
               for segment, unit in (manifest.get("segments") or {}).items()}
    for order, manifest in enumerate(manifests):
        parameters = manifest.get("parameters") or {}
        # one version of the chapter and of infolib: another's packs cannot vouch for its units
        group = (manifest.get("chapter"), json.dumps(parameters, sort_keys=True),
                 manifest["shard"][1], manifest.get("source_sha256"), manifest.get("commit"))
        state = groups.setdefault(group, {"shards": set(), "units": [], "pending": [],
                                          "passed_over": []})
        index = manifest["shard"][0]
        state["shards"].add(index)
        owner = owners.setdefault(group, {})
        owner.update(manifest.get("skipped") or {})
        for unit in (manifest.get("blocked") or []) + (manifest.get("not_stored") or []):
            owner[unit] = index  # its own shard: a next round computes it
        candidate = (_started(manifest), order, manifest)  # later packs, then later arguments
        shards = latest.setdefault(group, {})
        if index not in shards or candidate[:2] >= shards[index][:2]:
            shards[index] = candidate
    for group, state in groups.items():
        for unit, shard in sorted(owners[group].items()):
            done = unit in unit_of and (root / unit_of[unit]).is_file()
            if not (root / unit).is_file() and not done:
                state["units" if shard in state["shards"] else "pending"].append(unit)
        packs = {index: manifest for index, (_, _, manifest) in latest[group].items()}
        state["ran_whole"] = any(_ran_whole(manifest) for manifest in packs.values())
        if state["ran_whole"]:  # it met every unit the chapter needs, and had each: all merged
            state["units"], state["pending"] = [], []  # (others, named behind a stand-in, are
        else:  # units a whole run never meets: a loop that would have stopped went on)
            state["passed_over"] = sorted(index for index, manifest in packs.items()
                                          if _passed_over(manifest))
    return groups


def _started(manifest: dict) -> float:
    """When the pack's run started (seconds since the epoch, ISO 8601 in the manifest), 0 when
    unknown."""
    try:
        return datetime.datetime.fromisoformat(manifest["started"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return 0.0


def _passed_over(manifest: dict) -> bool:
    cells = manifest.get("cells") or {}
    return bool(cells.get("passed over") or cells.get("loop iterations passed over"))


def _ran_whole(manifest: dict) -> bool:
    """Whether the run met every unit of the chapter and had each (no stand-in handed out):
    nothing after it can be a unit that no shard reached."""
    return (manifest.get("status") == "ok" and not _passed_over(manifest)
            and not any(manifest.get(name) for name in ("skipped", "missing", "blocked",
                                                        "not_stored")))


# --- the command line ---------------------------------------------------------------------------

def _parameters(pairs: list[list[str]] | None) -> dict[str, Any]:
    return {name: _format_value(value) for name, value in pairs or []}


def _summary(manifest: dict) -> str:
    units = manifest["units"]
    cells = manifest["cells"]
    return (f"{manifest['chapter']} shard {manifest['shard'][0]}/{manifest['shard'][1]}: "
            f"{manifest['status']} in {manifest['wall_seconds']} s; units computed "
            f"{units['computed']}, read from the cache {units['read']}, left to other shards "
            f"{units['skipped']}, blocked {units['blocked']}, computed but not stored (the write "
            f"failed) {units.get('not stored', 0)}, not started (time limit) "
            f"{units['deferred']}, left out by --only {units.get('excluded', 0)}, segments of "
            f"finished units not packed {units.get('segments not packed', 0)}; cells run "
            f"{cells['run']}, passed "
            f"over {len(cells['passed over'])}, loop iterations passed over "
            f"{cells['loop iterations passed over']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infolib.shard",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="the cache (default: $INFOLIB_CACHE or ~/.cache/infolib)")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run one shard of a chapter and pack its entries")
    check_parser = commands.add_parser(
        "check", help="run a chapter computing nothing: list the units the cache lacks")
    for sub in (run_parser, check_parser):
        sub.add_argument("chapter", help="the chapter's py:percent file, notebooks/<name>.py")
        sub.add_argument("--profile", help="the chapter's profile parameter (smoke, cpu, gpu)")
        sub.add_argument("--device", help="the chapter's device parameter (default: its own, "
                         "'auto': CUDA when present)")
        sub.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                         help="another parameter, as papermill's -p")
        sub.add_argument("--workdir", help="where the chapter runs (default: a temporary folder)")
    run_parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                            help="start no unit after this many seconds (a running unit "
                            "still gets the units it asks for, but not its next training "
                            "segment); the units left are for a second round (merge lists them)")
    run_parser.add_argument("--only", action="append", metavar="FIELD=VALUE[,...]",
                            help="compute only the shard's units whose key has these values "
                            "(repeat for alternatives), e.g. --only network=wide "
                            "--only experiment=calibration; numbers compare as numbers (lr=1e-3 "
                            "is lr=0.001); a filter that matches no unit's key is reported and "
                            "the run exits with status 1")
    run_parser.add_argument("--shard", required=True, help="i/n: shard i of n (0 <= i < n)")
    run_parser.add_argument("-o", "--output", required=True,
                            help="the pack to write (.tar; .tar.gz to compress)")
    merge_parser = commands.add_parser("merge", help="add packs to the cache")
    merge_parser.add_argument("packs", nargs="+", help="pack files written by run")
    merge_parser.add_argument("--replace", action="store_true",
                              help="replace an existing entry that differs from the pack's")
    merge_parser.add_argument("--left", metavar="FILE",
                              help="write to FILE the chapters (a JSON list) that another round "
                              "must run: units left to compute, shards not merged, or failed, "
                              "or cells passed over (units after them may be unreached)")
    args = parser.parse_args(argv)

    if args.command in ("run", "check"):
        parameters = _parameters(args.parameter)
        if args.device:
            parameters["device"] = args.device
        try:
            shard = Shard.parse(args.shard) if args.command == "run" else Shard(None, 1)
            only = parse_only(getattr(args, "only", None))
        except ValueError as error:
            parser.error(str(error))
        manifest = run_shard(args.chapter, shard,
                             output=args.output if args.command == "run" else None,
                             profile=args.profile, parameters=parameters, root=args.root,
                             workdir=args.workdir, log=lambda text: print(text, file=sys.stderr),
                             time_limit=getattr(args, "time_limit", None), only=only)
        if args.command == "run":
            print(_summary(manifest))
            print(f"packed {len(manifest['entries'])} entries into {args.output}")
            for selection in manifest["only_unmatched"]:
                print(f"warning: --only {_filter_text(selection)} matched the key of no unit "
                      f"of {manifest['chapter']} (a misspelt field or value?): nothing was "
                      "computed for it")
        else:
            lacking = manifest["missing"]
            print(f"{manifest['chapter']}: {manifest['units']['read']} units in the cache, "
                  f"{len(lacking)} lacking" + "".join(f"\n  {entry}" for entry in lacking))
            unnamed = _passed_over(manifest)  # units after them could not even be named
            if unnamed:
                print("and cells or loop iterations were passed over for want of those: the "
                      "units after them are lacking too, unnamed till those are in the cache")
            if manifest["status"] != "ok":
                print(f"the chapter failed: {manifest['error']}")
            return 1 if lacking or unnamed or manifest["status"] != "ok" else 0
        if manifest["status"] != "ok":
            print(f"the shard failed: {manifest['error']}")
            return 1
        return 1 if manifest["only_unmatched"] else 0

    directory = cache_dir(args.root)
    status, manifests = 0, []
    for pack in args.packs:
        try:
            report = merge_pack(pack, root=args.root, replace=args.replace)
        except (BadPack, OSError) as error:
            print(f"REFUSED {error}")
            status = 1
            continue
        manifest = report.manifest
        manifests.append(manifest)
        print(f"{pack}: {manifest.get('chapter')} shard {manifest['shard'][0]}/"
              f"{manifest['shard'][1]} ({manifest.get('status')}, {manifest.get('gpu', 'no GPU')},"
              f" torch {manifest.get('torch')}): {len(report.added)} added, "
              f"{len(report.present)} already there, {len(report.replaced)} replaced")
        if report.kept:
            print(f"  kept {len(report.kept)} existing entries that differ from the pack's "
                  f"(--replace to take the pack's): {report.kept}")
        source = Path(manifest.get("source") or "")
        if source.is_file() and manifest.get("source_sha256") != _sha256_file(source):
            print(f"  note: {source} has changed since this shard ran; entries of code that "
                  "changed will not be read")
    left = {manifest.get("chapter") for manifest in manifests if manifest.get("status") != "ok"}
    for (chapter, parameters, count, _source, _commit), state in left_out(manifests,
                                                                         directory).items():
        missing_shards = [] if state["ran_whole"] else sorted(set(range(count)) - state["shards"])
        if missing_shards or state["pending"] or state["units"] or state["passed_over"]:
            left.add(chapter)
        parts = []
        if missing_shards:
            parts.append(f"shards not merged: {missing_shards}")
        if state["pending"]:
            parts.append(f"{len(state['pending'])} units wait for those shards' packs")
        if state["units"]:
            parts.append(f"{len(state['units'])} units met by a shard but not in the cache "
                         "(blocked, not stored, or not reached): run these shards again on a "
                         "cache that holds these packs")
        if state["passed_over"]:
            parts.append(f"the latest packs of shards {state['passed_over']} passed over cells "
                         "or loop iterations, so units after them may have been reached by no "
                         "shard: run these shards again on a cache that holds these packs (a "
                         "round that finds every unit passes over nothing)")
        if not parts:
            parts.append("every unit the shards met is in the cache")
        print(f"{chapter} ({parameters}, {count} shards): " + "; ".join(parts))
    print(f"cache: {directory}")
    if args.left:
        Path(args.left).write_text(json.dumps(sorted(left)))
        print(f"chapters for another round ({args.left}): {sorted(left) or 'none'}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
