"""Profiles and devices: turn a chapter's profile dict and papermill parameters into settings.

A chapter holds its profiles as a plain dict, ``{"smoke": {...}, "cpu": {...}, "gpu": {...}}``, each
mapping the same knob names to values. :func:`resolve` picks one profile, applies the non-``None``
overrides (papermill parameters default to ``None``, meaning "use the profile") and returns an
immutable :class:`Settings`. :func:`resolve_device` turns ``device="auto"`` into a ``torch.device``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import torch

# Attribute names of Settings itself, which a knob must not shadow.
_RESERVED = frozenset({"profile", "overridden", "as_dict"})


@dataclass(frozen=True, repr=False)
class Settings:
    """The resolved knobs of one run: ``s.epochs``, ``s.profile``, ``s.as_dict()``.

    Immutable: setting an attribute raises ``dataclasses.FrozenInstanceError``. ``overridden`` holds
    the names of the knobs that a parameter changed from the profile's value.
    """

    profile: str
    _items: tuple[tuple[str, Any], ...]
    overridden: frozenset[str] = frozenset()

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: for knobs, and for dunders probed by pickle/copy.
        if name.startswith("_"):
            raise AttributeError(name)
        for knob, value in self._items:
            if knob == name:
                return value
        raise AttributeError(
            f"Settings of profile {self.profile!r} have no knob {name!r}; "
            f"knobs are {[knob for knob, _ in self._items]}"
        )

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {knob for knob, _ in self._items})

    def as_dict(self) -> dict[str, Any]:
        """The knobs (not the profile name) as a plain dict, for cache keys and printing."""
        return dict(self._items)

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


def resolve(profiles: dict[str, dict], profile: str, **overrides: Any) -> Settings:
    """Settings of ``profiles[profile]`` with every non-``None`` override applied.

    Raises ``ValueError`` for an unknown profile or knob (listing the valid ones) and for profiles
    whose knob names differ (which catches a typo in one of them).
    """
    _check_profiles(profiles)
    if not isinstance(profile, str):
        raise TypeError(f"profile must be a str, got {type(profile).__name__}")
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are {list(profiles)}")
    knobs = dict(profiles[profile])
    unknown = [name for name in overrides if name not in knobs]
    if unknown:
        raise ValueError(
            f"unknown knob(s) {unknown} for profile {profile!r}; valid knobs are {list(knobs)}"
        )
    applied = {name: value for name, value in overrides.items() if value is not None}
    knobs.update(applied)
    return Settings(profile, tuple(knobs.items()), frozenset(applied))


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


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cpu"``, ``"cuda"``, ``"cuda:N"`` as given.

    Raises ``ValueError`` for a CUDA device this machine does not have and for any other string.
    """
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
