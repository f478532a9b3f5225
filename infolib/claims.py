"""Paper claims, what we measured, and the verdicts; gathered into the book's scorecard.

A chapter records each claim it tests, ends with the table (a cell ending in ``claims``) and saves
it beside the executed notebook::

    claims = Claims("usable_information", paper="Kleinman et al. 2021", settings=settings,
                    seeds=SEEDS, device=torch_device)
    claims.add("monotone", where="Fig. 2a", statement="...", measured=summarize(gaps), holds=True)
    claims.save("usable_information.claims.json")  # papermill --cwd: beside the notebook

``python -m infolib.claims OUT.md IN.json|DIR ...`` gathers saved claims into scorecard Markdown.
A claim that does not reproduce is a result: record it with ``holds=False``.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from infolib.cache import atomic_write

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not tested at this profile")
COLUMNS = ("id", "where", "statement", "measured", "verdict", "note")


def summarize(values: Sequence[float] | np.ndarray, unit: str = "bits", digits: int = 2) -> str:
    """``"0.93 ± 0.04 bits (n=3)"``: mean ± standard deviation (ddof=1) over seeds.

    NaNs are dropped and counted (``"(n=2, 1 NaN dropped)"``); with one value, no spread is shown.
    """
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"values must be a sequence of numbers, got {values!r}") from error
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"values must be a non-empty 1-D sequence of numbers, got shape {array.shape}"
        )
    if not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a non-negative int, got {digits!r}")
    kept = array[~np.isnan(array)]
    dropped = array.size - kept.size
    count = f"n={kept.size}" + (f", {dropped} NaN dropped" if dropped else "")
    suffix = f" {unit}" if unit else ""
    if kept.size == 0:
        return f"nan{suffix} ({count})"
    mean = f"{kept.mean():.{digits}f}"
    if kept.size == 1:
        return f"{mean}{suffix} ({count})"
    return f"{mean} ± {kept.std(ddof=1):.{digits}f}{suffix} ({count})"


@dataclass
class Claim:
    """One claim of a paper and our verdict on it; ``verdict`` is one of :data:`VERDICTS`."""

    id: str
    paper: str
    where: str
    statement: str
    measured: str
    verdict: str
    note: str = ""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, str):
                raise TypeError(
                    f"Claim {field.name} must be a str, got {type(value).__name__} ({value!r})"
                    + ("; format numbers with summarize()" if field.name == "measured" else "")
                )
        if not self.id:
            raise ValueError("Claim id must be a non-empty str")
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


def verdict(holds: bool | None, partly: bool = False) -> str:
    """``True`` -> reproduced (or partly), ``False`` -> not reproduced, ``None`` -> not tested."""
    if holds is None:
        if partly:
            raise ValueError("partly=True needs holds=True, got holds=None")
        return "not tested at this profile"
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(
            f"holds must be True, False or None, got {type(holds).__name__} ({holds!r})"
        )
    if not holds:
        if partly:
            raise ValueError("partly=True needs holds=True, got holds=False")
        return "not reproduced"
    return "partly reproduced" if partly else "reproduced"


class Claims:
    """The claims one chapter tests, at one profile; renders as a table in a notebook.

    Given the chapter's ``settings`` (:func:`infolib.config.resolve`), ``seeds`` and ``device``,
    the saved file records how the chapter ran (:func:`provenance`); ``profile`` is then taken
    from the settings.
    """

    def __init__(
        self,
        chapter: str,
        paper: str,
        profile: str | None = None,
        *,
        settings=None,
        seeds: Sequence[int] | None = None,
        device=None,
    ) -> None:
        if settings is not None:
            if profile is not None and profile != settings.profile:
                raise ValueError(f"profile {profile!r} differs from settings.profile "
                                 f"{settings.profile!r}; give one of them")
            profile = settings.profile
        for name, value in (("chapter", chapter), ("paper", paper), ("profile", profile)):
            if not isinstance(value, str) or not value:
                raise TypeError(f"{name} must be a non-empty str, got {value!r}")
        self.chapter = chapter
        self.paper = paper
        self.profile = profile
        self.settings = settings
        self.seeds = None if seeds is None else [int(s) for s in seeds]
        self.device = device
        self.provenance: dict = {}
        self.claims: list[Claim] = []

    def add(
        self,
        id: str,
        *,
        where: str,
        statement: str,
        measured: str,
        holds: bool | None,
        note: str = "",
        partly: bool = False,
    ) -> Claim:
        """Record a claim; ``holds=None`` when this profile is too small to test it."""
        if any(claim.id == id for claim in self.claims):
            raise ValueError(f"claim id {id!r} is already recorded in chapter {self.chapter!r}")
        claim = Claim(id, self.paper, where, statement, measured, verdict(holds, partly), note)
        self.claims.append(claim)
        return claim

    def table(self) -> pd.DataFrame:
        """The claims as a DataFrame with columns id, where, statement, measured, verdict, note."""
        return pd.DataFrame([asdict(claim) for claim in self.claims], columns=list(COLUMNS))

    def _repr_html_(self) -> str:
        caption = (
            f"<p><b>Claims of {html.escape(self.paper)}</b> tested in "
            f"<code>{html.escape(self.chapter)}</code> at profile "
            f"<code>{html.escape(self.profile)}</code></p>"
        )
        return caption + self.table().to_html(index=False)

    def __repr__(self) -> str:
        return (
            f"Claims(chapter={self.chapter!r}, paper={self.paper!r}, profile={self.profile!r}, "
            f"{len(self.claims)} claims)"
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write chapter, paper, profile, provenance and claims as JSON, atomically; returns the
        path. The provenance (:func:`provenance`) is taken now: the wall time ends here."""
        self.provenance = provenance(self.settings, self.seeds, self.device)
        data = {
            "chapter": self.chapter,
            "paper": self.paper,
            "profile": self.profile,
            "provenance": self.provenance,
            "claims": [asdict(claim) for claim in self.claims],
        }
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        return atomic_write(path, lambda file: file.write(text.encode("utf-8")))


def provenance(settings=None, seeds: Sequence[int] | None = None, device=None) -> dict:
    """How and where a chapter ran: profile, seeds, the overridden parameters, the infolib version
    and commit, the Python, torch and numpy versions, the device's name, torch's thread count,
    the platform, the time it finished, and the wall time (seconds) since ``settings`` were
    resolved. Fields that cannot be known are None."""
    import torch

    import infolib

    return {
        "profile": getattr(settings, "profile", None),
        "seeds": None if seeds is None else [int(s) for s in seeds],
        "overrides": settings.overrides() if settings is not None else None,
        "infolib": infolib.__version__,
        "commit": _git_commit(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "device": _device_name(device),
        "threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(time.time() - settings.started, 1)
        if getattr(settings, "started", 0) else None,
    }


def _git_commit() -> str | None:
    """The commit of the checkout infolib is imported from, with ``+local changes`` when its
    tracked files differ from it; None outside a git checkout."""
    folder = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        changes = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                 cwd=folder, capture_output=True, text=True, timeout=10,
                                 check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+local changes" if changes else commit


def _device_name(device) -> str | None:
    """``"cuda:0 (NVIDIA H100 80GB HBM3)"`` or ``"cpu (AMD EPYC ...)"``; None when not given."""
    if device is None:
        return None
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{device.type} ({model}, {os.cpu_count()} cores)"


def load(path: str | os.PathLike) -> Claims:
    """The :class:`Claims` saved at ``path`` by :meth:`Claims.save`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        claims = Claims(data["chapter"], data["paper"], data["profile"])
        claims.provenance = dict(data.get("provenance", {}))
        claims.claims = [Claim(**claim) for claim in data["claims"]]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{path} is not a claims file written by Claims.save: {type(error).__name__}: {error}"
        ) from error
    return claims


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell: ``|`` escaped, line breaks as ``<br>``."""
    return "<br>".join(line.strip() for line in str(value).replace("|", "\\|").splitlines())


def _markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def scorecard_markdown(paths: Iterable[str | os.PathLike]) -> str:
    """One Markdown document gathering saved claims files: a verdict count per chapter, then
    one section per chapter with its claims. Headings start at level 2 (``##``), for inclusion in
    the book's scorecard page."""
    chapters = [load(path) for path in paths]
    if not chapters:
        return "No chapter has been executed yet, so no claim has been tested.\n"
    counts = []
    for claims in chapters:
        verdicts = [claim.verdict for claim in claims.claims]
        counts.append([verdicts.count(name) for name in VERDICTS] + [len(verdicts)])
    totals = [sum(column) for column in zip(*counts)]
    summary = _markdown_table(
        ("chapter", "paper", "profile", *VERDICTS, "claims"),
        [
            [claims.chapter, claims.paper, claims.profile, *row]
            for claims, row in zip(chapters, counts)
        ]
        + [["all chapters", "", "", *totals]],
    )
    parts = ["## Summary", summary]
    for claims in chapters:
        parts.append(f"## {_cell(claims.chapter)}")
        parts.append(f"Paper: {_cell(claims.paper)}. Profile: `{claims.profile}`.")
        rows = [[getattr(claim, column) for column in COLUMNS] for claim in claims.claims]
        parts.append(_markdown_table(COLUMNS, rows) if rows else "No claim recorded.")
    return "\n\n".join(parts) + "\n"


def _claims_files(inputs: Iterable[str]) -> list[Path]:
    files = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            files += sorted(path.glob("*.claims.json"))
        elif path.is_file():
            files.append(path)
        else:
            raise ValueError(f"input {name!r} is neither a claims file nor a directory")
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m infolib.claims OUT.md [IN.json | DIR] ...``."""
    parser = argparse.ArgumentParser(
        prog="python -m infolib.claims",
        description="Gather saved claims files (or directories of *.claims.json) into Markdown.",
    )
    parser.add_argument("out", help="the Markdown file to write")
    parser.add_argument("inputs", nargs="*", help="claims JSON files or directories")
    args = parser.parse_args(argv)
    try:
        text = scorecard_markdown(_claims_files(args.inputs))
    except ValueError as error:
        parser.error(str(error))
    atomic_write(args.out, lambda file: file.write(text.encode("utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
