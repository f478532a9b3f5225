"""Profiles and devices: turn a chapter's profile dict and papermill parameters into settings.

A chapter holds its profiles as a plain dict, ``{"smoke": {...}, "cpu": {...}, "gpu": {...}}``, each
mapping the same knob names to values. :func:`resolve` picks one profile, applies the non-``None``
overrides (papermill parameters default to ``None``, meaning "use the profile") and returns an
immutable :class:`Settings`. :func:`resolve_device` turns ``device="auto"`` into a ``torch.device``;
:func:`deterministic` makes CUDA runs repeat bit for bit where a chapter compares two runs.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import html
import math
import numbers
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Attribute names of Settings itself, which a knob must not shadow.
_RESERVED = frozenset(
    {"profile", "overridden", "as_dict", "started", "overrides", "chapter", "key"}
)


@dataclass(frozen=True, repr=False)
class Settings:
    """The resolved knobs of one run: ``s.epochs``, ``s.profile``, ``s.as_dict()``.

    Immutable, and shares nothing with the profiles it came from: setting an attribute raises
    ``dataclasses.FrozenInstanceError``, and a list or dict knob is returned as a fresh copy, so
    appending to ``s.widths`` changes neither the settings nor the profile. ``overridden`` holds
    the names of the knobs that a parameter set (to the profile's own value too); ``started`` the
    time (``time.time()``) they were resolved, the chapter's start.
    """

    profile: str
    _items: tuple[tuple[str, Any], ...]
    overridden: frozenset[str] = frozenset()
    started: float = field(default=0.0, compare=False)
    chapter: str | None = None

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: for knobs, and for dunders probed by pickle/copy.
        if name.startswith("_"):
            raise AttributeError(name)
        for knob, value in self._items:
            if knob == name:
                return copy.deepcopy(value)
        raise AttributeError(
            f"Settings of profile {self.profile!r} have no knob {name!r}; "
            f"knobs are {[knob for knob, _ in self._items]}"
        )

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {knob for knob, _ in self._items})

    def as_dict(self) -> dict[str, Any]:
        """The knobs (not the profile name) as a plain dict (a copy), for keys and printing."""
        return copy.deepcopy(dict(self._items))

    def key(self, experiment: str, *knobs: str, **fields: Any) -> dict[str, Any]:
        """The result-cache key of one unit of work (:func:`infolib.cache.cached`): the chapter,
        the ``experiment``, the values of the named ``knobs`` (those that shape the unit's data,
        which the code fingerprint cannot see) and the unit's own ``fields`` (seed, condition).
        Knobs the unit's code reads are in its fingerprint already."""
        if not self.chapter:
            raise ValueError("settings.key needs the chapter: resolve(..., chapter='name')")
        if not isinstance(experiment, str) or not experiment:
            raise TypeError(f"experiment must be a non-empty str, got {experiment!r}")
        reserved = {"chapter", "experiment"}
        clash = sorted((set(knobs) | set(fields)) & reserved | set(knobs) & set(fields))
        if clash:
            raise ValueError(f"key fields {clash} are given twice")
        return {"chapter": self.chapter, "experiment": experiment,
                **{knob: getattr(self, knob) for knob in knobs}, **fields}

    def overrides(self) -> dict[str, Any]:
        """{knob: value} of the knobs a parameter changed, for the record of a run."""
        return {knob: copy.deepcopy(value) for knob, value in self._items
                if knob in self.overridden}

    def __repr__(self) -> str:
        knobs = ", ".join(
            f"{knob}={value!r}" + (" (overridden)" if knob in self.overridden else "")
            for knob, value in self._items
        )
        return f"Settings(profile={self.profile!r}, {knobs})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html.escape(knob)}</code></td><td>{html.escape(repr(value))}</td>"
            f"<td>{'parameter' if knob in self.overridden else 'profile'}</td></tr>"
            for knob, value in self._items
        )
        return (
            f"<table><caption>settings of profile <code>{html.escape(self.profile)}</code>"
            f"</caption><thead><tr><th>knob</th><th>value</th><th>from</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


def resolve(
    profiles: dict[str, dict],
    profile: str,
    *,
    chapter: str | None = None,
    rules: dict[str, Callable[[Any], Any]] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings of ``profiles[profile]`` with every non-``None`` override applied and checked.

    Each knob's rule is inferred from its values in all profiles (:func:`infer_rule`): the type
    (a bool is not an int; numpy scalars are accepted and become Python numbers; list, tuple and
    dict knobs keep their element types) and, for numbers, the sign (> 0 when every profile's
    value is, >= 0 when every one is non-negative); floats must be finite. ``rules={knob: check}``
    states a rule instead: ``check(value)`` returns the value to use or raises.

    Raises ``ValueError`` for an unknown profile or knob (listing the valid ones), for profiles
    whose knob names differ (which catches a typo in one of them), and for a papermill parameter
    that the chapter's parameters cell does not define (papermill alone only warns).
    ``chapter`` names the chapter for :meth:`Settings.key`.
    """
    _check_profiles(profiles)
    if not isinstance(profile, str):
        raise TypeError(f"profile must be a str, got {type(profile).__name__}")
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are {list(profiles)}")
    _check_papermill_parameters()
    knobs = copy.deepcopy(dict(profiles[profile]))
    rules = dict(rules or {})
    unknown = [name for name in [*overrides, *rules] if name not in knobs]
    if unknown:
        raise ValueError(
            f"unknown knob(s) {unknown} for profile {profile!r}; valid knobs are {list(knobs)}"
        )
    applied = {}
    for name, value in overrides.items():
        if value is None:
            continue
        if name in rules:
            applied[name] = rules[name](value)
        else:
            applied[name] = infer_rule([p[name] for p in profiles.values()]).check(name, value)
    knobs.update(copy.deepcopy(applied))
    return Settings(profile, tuple(knobs.items()), frozenset(applied), time.time(), chapter)


def seeds(first: int, count: int) -> list[int]:
    """The seeds of a chapter's runs: ``first, first + 1, ..., first + count - 1``."""
    from infolib.checks import integer, random_seed

    first, count = random_seed("seed", first), integer("n_seeds", count, minimum=1)
    random_seed("seed + n_seeds - 1, the last seed,", first + count - 1)
    return list(range(first, first + count))


_NUMBER_KINDS = {"int", "float"}


@dataclass(frozen=True)
class Rule:
    """What a knob accepts: the ``kinds`` of value (``bool``, ``int``, ``float``, ``str``,
    ``none``, ``list``, ``tuple``, ``dict``), the ``sign`` of numbers (``"> 0"``, ``">= 0"`` or
    None), the rules of a container's ``items`` (dict values) and dict ``keys``, and
    ``key_set``: the keys a dict must have, where every profile's dict has the same ones."""

    kinds: frozenset[str]
    sign: str | None = None
    items: Rule | None = None
    keys: Rule | None = None
    key_set: frozenset | None = None

    def describe(self) -> str:
        parts = []
        for kind in sorted(self.kinds - {"none"}):
            if kind in _NUMBER_KINDS:
                parts.append(f"{'an int' if kind == 'int' else 'a finite number'}"
                             + (f" {self.sign}" if self.sign else ""))
            elif kind in ("list", "tuple"):
                parts.append(f"a {kind}" + (f" of ({self.items.describe()})" if self.items else ""))
            elif kind == "dict":
                of = f" of ({self.keys.describe()}) to ({self.items.describe()})"
                parts.append("a dict" + (of if self.items else ""))
            else:
                parts.append({"bool": "a bool", "str": "a str"}.get(kind, f"a {kind}"))
        if "none" in self.kinds:
            parts.append("None")
        return " or ".join(parts) or "anything"

    def check(self, name: str, value: Any) -> Any:
        """``value`` converted to the profile's type (numpy scalars to Python numbers, a tuple
        to a list where the profiles hold lists), or a TypeError/ValueError naming ``name``."""
        if not self.kinds:
            return value
        if value is None and "none" in self.kinds:
            return None
        if isinstance(value, (bool, np.bool_)):
            if "bool" in self.kinds:
                return bool(value)
        elif isinstance(value, numbers.Integral) and self.kinds & _NUMBER_KINDS:
            return self._number(name, int(value) if "int" in self.kinds else float(value))
        elif isinstance(value, numbers.Real) and "float" in self.kinds:
            return self._number(name, float(value))
        elif isinstance(value, str) and "str" in self.kinds:
            return value
        elif isinstance(value, (list, tuple)) and self.kinds & {"list", "tuple"}:
            items = [self.items.check(f"{name}[{i}]", item) if self.items else item
                     for i, item in enumerate(value)]
            return list(items) if "list" in self.kinds else tuple(items)
        elif isinstance(value, dict) and "dict" in self.kinds:
            checked = {(self.keys.check(f"{name} key", k) if self.keys else k):
                       (self.items.check(f"{name}[{k!r}]", v) if self.items else v)
                       for k, v in value.items()}
            if self.key_set is not None and set(checked) != self.key_set:
                given = set(checked)
                missing, unknown = self.key_set - given, given - self.key_set
                raise ValueError(
                    f"{name} must have the keys of every profile's {name}, "
                    f"{sorted(self.key_set, key=repr)}"
                    + (f"; missing {sorted(missing, key=repr)}" if missing else "")
                    + (f"; unknown {sorted(unknown, key=repr)}" if unknown else ""))
            return checked
        raise TypeError(
            f"{name} must be {self.describe()} (as in the profiles), "
            f"got {type(value).__name__} ({value!r})"
        )

    def _number(self, name: str, value: float) -> float:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} must be {self.describe()}, got {value}")
        if (self.sign == "> 0" and value <= 0) or (self.sign == ">= 0" and value < 0):
            raise ValueError(
                f"{name} must be {self.describe()} (as in every profile), got {value!r}"
            )
        return value


def infer_rule(values: list[Any]) -> Rule:
    """The rule that the profiles' ``values`` of one knob share (see :class:`Rule`)."""
    kinds = set()
    numbers_seen, items, keys, key_sets = [], [], [], set()
    for value in values:
        if value is None:
            kinds.add("none")
        elif isinstance(value, (bool, np.bool_)):
            kinds.add("bool")
        elif isinstance(value, numbers.Integral):
            kinds.add("int")
            numbers_seen.append(value)
        elif isinstance(value, numbers.Real):
            kinds.add("float")
            numbers_seen.append(value)
        elif isinstance(value, str):
            kinds.add("str")
        elif isinstance(value, (list, tuple)):
            kinds.add(type(value).__name__ if type(value) in (list, tuple) else "list")
            items.extend(value)
        elif isinstance(value, dict):
            kinds.add("dict")
            items.extend(value.values())
            keys.extend(value.keys())
            key_sets.add(frozenset(value))
        else:
            return Rule(frozenset())  # a knob of another type: any value
    if {"int", "float"} <= kinds:
        kinds.discard("int")  # a float knob accepts ints
    sign = None
    if numbers_seen and all(v > 0 for v in numbers_seen):
        sign = "> 0"
    elif numbers_seen and all(v >= 0 for v in numbers_seen):
        sign = ">= 0"
    return Rule(frozenset(kinds), sign, infer_rule(items) if items else None,
                infer_rule(keys) if keys else None,
                next(iter(key_sets)) if len(key_sets) == 1 else None)


def unknown_parameters(history: list[str]) -> tuple[list[str], list[str]]:
    """(unknown, known): the names that papermill's injected cell (``# Parameters``, the last one
    in the kernel's input ``history``) sets but the cell before it (the chapter's cell tagged
    ``parameters``) does not define, and the names that cell does define. ([], []) when no
    parameters were injected."""
    injected_at = [i for i, cell in enumerate(history)
                   if isinstance(cell, str) and cell.lstrip().startswith("# Parameters")]
    if not injected_at or injected_at[-1] == 0:
        return [], []
    i = injected_at[-1]
    injected, known = _assigned(history[i]), _assigned(history[i - 1])
    return [name for name in injected if name not in known], known


def _assigned(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def _check_papermill_parameters() -> None:
    """Stop a chapter that papermill ran with a parameter its parameters cell does not define."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    unknown, known = unknown_parameters(list(shell.user_ns.get("In", [])))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown}: this chapter's parameters are {known}; "
            "check the spelling of the -p options given to papermill"
        )


def _check_profiles(profiles: dict[str, dict]) -> None:
    if not isinstance(profiles, dict):
        raise TypeError(f"profiles must be a dict of dicts, got {type(profiles).__name__}")
    if not profiles:
        raise ValueError("profiles must hold at least one profile, got an empty dict")
    for name, knobs in profiles.items():
        if not isinstance(knobs, dict):
            raise TypeError(
                f"profiles[{name!r}] must be a dict of knobs, got {type(knobs).__name__}"
            )
        for knob in knobs:
            if not isinstance(knob, str) or not knob.isidentifier() or knob.startswith("_"):
                raise ValueError(
                    f"profiles[{name!r}] has knob {knob!r}; knob names must be identifiers "
                    "not starting with '_'"
                )
            if knob in _RESERVED:
                raise ValueError(
                    f"profiles[{name!r}] has knob {knob!r}, a reserved name; "
                    f"knobs must not be named {sorted(_RESERVED)}"
                )
    every = set().union(*(knobs.keys() for knobs in profiles.values()))
    problems = []
    for knob in sorted(every):
        having = [name for name, knobs in profiles.items() if knob in knobs]
        if len(having) < len(profiles):
            lacking = [name for name in profiles if name not in having]
            problems.append(f"{knob!r} is in {having} but not in {lacking}")
    if problems:
        raise ValueError("all profiles must have the same knobs: " + "; ".join(problems))


def resolve_device(device="auto"):
    """``"auto"`` -> CUDA when available, else CPU; ``"cpu"``, ``"cuda"``, ``"cuda:N"`` as given.

    Raises ``ValueError`` for a CUDA device this machine does not have and for any other string.
    """
    import torch  # here, not at the top: resolving profiles needs no torch

    if isinstance(device, torch.device):
        resolved = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        expected = f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}"
        try:
            resolved = torch.device(device)
        except RuntimeError as error:
            raise ValueError(expected) from error
        if resolved.type not in ("cpu", "cuda"):
            raise ValueError(expected)
    else:
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {str(device)!r}: CUDA is not available on this machine; "
                "use device='auto' or device='cpu'"
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {str(device)!r}: this machine has {torch.cuda.device_count()} CUDA "
                "device(s)"
            )
    return resolved


@contextlib.contextmanager
def full_precision() -> Iterator[None]:
    """Within the block, CUDA's float32 convolutions (cuDNN) and matrix products (cuBLAS) keep
    their 24-bit mantissa instead of TF32's 10 bits; restored afterwards. cuDNN uses TF32 by
    default: on an H200 it put a CNN's Fisher trace 1.6e-4 (relative) from the CPU's, 4.7e-9
    without it. Nothing changes on the CPU."""
    import torch

    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@contextlib.contextmanager
def deterministic(device="auto") -> Iterator[None]:
    """Within the block, torch uses deterministic algorithms on CUDA, so that two runs with the
    same seed and data give bit-identical weights (on the CPU they already do; nothing changes).

    Sets ``torch.use_deterministic_algorithms(True)``, turns off cuDNN autotuning and TF32, and
    sets ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` if unset (cuBLAS needs it for reproducible matrix
    products; torch reads it at a process's first matrix product, so ``import infolib`` sets it
    already); restores the previous state afterwards. An operation without a deterministic CUDA
    kernel raises ``RuntimeError`` inside the block rather than giving a different number.
    """
    import torch

    if resolve_device(device).type != "cuda":
        yield
        return
    saved = (
        (torch.are_deterministic_algorithms_enabled(),
         torch.is_deterministic_algorithms_warn_only_enabled()),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    try:
        with full_precision():
            yield
    finally:
        torch.use_deterministic_algorithms(saved[0][0], warn_only=saved[0][1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved[1], saved[2]
        if saved[3] is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
