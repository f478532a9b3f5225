"""Paper claims, what we measured, and the verdicts; gathered into the book's scorecard.

A chapter records each claim it tests, ends with the table (a cell ending in ``claims``) and saves
it beside the executed notebook::

    claims = Claims("usable_information", paper="Kleinman et al. 2021", settings=settings,
                    seeds=SEEDS, device=torch_device)
    claims.add("monotone", where="Fig. 2a", statement="...",
               result=trend(epochs, gaps_by_seed, expected="increasing"))
    claims.save("usable_information.claims.json")  # papermill --cwd: beside the notebook

The verdict comes from one of the kit's tests (:func:`trend`, :func:`contrast`,
:func:`threshold`, :func:`differ`, combined by :func:`all_of`, checked against another protocol
choice by :func:`unchanged_by`; :func:`not_testable` when a claim cannot be tested as stated),
which also write the measured text and the note from the numbers.
``holds=None`` records a claim the profile is too small to test. A claim that does not reproduce
is a result.

``python -m infolib.claims OUT.md IN.json|DIR ...`` gathers saved claims into scorecard Markdown;
with ``--provenance``, how each chapter ran (the book's "How this book was run" page).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import html
import itertools
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
from infolib.checks import finite, integer, random_seed, real

VERDICTS = (
    "reproduced",
    "partly reproduced",
    "not reproduced",
    "inconclusive",
    "not testable",
    "not tested at this profile",
)
COLUMNS = ("id", "where", "statement", "measured", "verdict", "note")
_UNSET = object()  # Claims.add's holds when not given: None ("not tested") must be said


def summarize(values: Sequence[float] | np.ndarray, unit: str = "bits", digits: int = 2) -> str:
    """``"0.93 ± 0.04 bits (n=3)"``: mean ± standard deviation (ddof=1) over seeds.

    NaNs are dropped and counted (``"(n=2, 1 NaN dropped)"``); with one value, no spread is shown.
    Infinite values raise ``ValueError``.
    """
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"values must be a sequence of numbers, got {values!r}") from error
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"values must be a non-empty 1-D sequence of numbers, got shape {array.shape}"
        )
    digits = integer("digits", digits, minimum=0)
    if np.isinf(array).any():
        raise ValueError(f"values must not be infinite (a diverged run is handled before a "
                         f"summary, not averaged), got {array.tolist()}")
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
        self.seeds = None if seeds is None else _seed_list(seeds)
        self.device = device
        self.provenance: dict = {}
        self.claims: list[Claim] = []

    def add(
        self,
        id: str,
        *,
        where: str,
        statement: str,
        result: Result | None = None,
        measured: str | None = None,
        holds: bool | None = _UNSET,  # type: ignore[assignment]
        note: str = "",
        partly: bool = False,
    ) -> Claim:
        """Record a claim. Give ``result`` (from :func:`trend`, :func:`contrast`,
        :func:`threshold`, :func:`differ`, :func:`all_of`, :func:`unchanged_by` or
        :func:`not_testable`): its verdict and numbers are recorded, and its note follows
        ``note``. Without a result, give ``measured`` and ``holds``
        (``None``, given explicitly, when this profile is too small to test the claim)."""
        if any(claim.id == id for claim in self.claims):
            raise ValueError(f"claim id {id!r} is already recorded in chapter {self.chapter!r}")
        if result is not None:
            if not isinstance(result, Result):
                raise TypeError(f"result must be a Result (from trend, contrast, threshold, ...), "
                                f"got {type(result).__name__}")
            if holds is not _UNSET or partly:
                raise ValueError(f"claim {id!r}: give result or holds, not both")
            measured = result.measured if measured is None else f"{measured}; {result.measured}"
            note = f"{note}; {result.note}" if note else result.note
            verdict_text = result.verdict
        else:
            if measured is None or holds is _UNSET:
                raise ValueError(f"claim {id!r}: give result, or measured and holds (True, False, "
                                 f"or None when this profile is too small to test it)")
            verdict_text = verdict(holds, partly)
        claim = Claim(id, self.paper, where, statement, measured, verdict_text, note)
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
        return caption + self.table().to_html(index=False) + _warnings_html(self.unit_warnings())

    def unit_warnings(self) -> list[dict]:
        """The warnings of the computations behind these claims: as saved
        (``provenance["unit_warnings"]``), or so far in this process before :meth:`save`."""
        from infolib.cache import unit_warnings

        saved = self.provenance.get("unit_warnings")
        return list(saved) if isinstance(saved, list) else unit_warnings()

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
    the float path (:func:`infolib.numerics.float_path`) and, as ``unit_float_paths``, the float
    paths its cached units were computed on ({digest: units}, :func:`infolib.cache.float_paths`),
    as ``unit_warnings`` the warnings those units issued, computed or read from the cache
    (:func:`infolib.cache.unit_warnings`), the platform, the time it finished, and the wall time
    (seconds) since ``settings`` were resolved. Fields that cannot be known are None."""
    import torch

    import infolib
    from infolib.cache import float_paths, unit_warnings
    from infolib.numerics import float_path

    return {
        "profile": getattr(settings, "profile", None),
        "seeds": None if seeds is None else _seed_list(seeds),
        "overrides": settings.overrides() if settings is not None else None,
        "infolib": infolib.__version__,
        "commit": _git_commit(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "device": _device_name(device),
        "threads": torch.get_num_threads(),
        "float_path": float_path(),
        "unit_float_paths": float_paths(),
        "unit_warnings": unit_warnings(),
        "platform": platform.platform(),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(time.time() - settings.started, 1)
        if getattr(settings, "started", 0) else None,
    }


def _seed_list(seeds) -> list[int]:
    """The chapter's seeds as ints, each checked (``int(1.7)`` recorded seed 1 for 1.7)."""
    return [random_seed(f"seeds[{i}]", s) for i, s in enumerate(seeds)]


def _warnings_html(issued: list[dict]) -> str:
    """A paragraph listing the warnings issued while the claims' numbers were computed (each
    category's short name, the times it was issued when more than once, its text); empty
    without warnings."""
    if not issued:
        return ""
    items = "".join(f"<li>{html.escape(_warning_words(w))}</li>" for w in issued)
    return ("<p><b>Warnings</b> issued while these numbers were computed (stored with each "
            "cached unit, so a run from the cache shows them too); read them before the "
            f"verdicts:</p><ul>{items}</ul>")


def _warning_words(issued: dict, most_units: int = 5) -> str:
    """``UntrainedModelWarning (2 times; experiment final, seed 4; ...): text`` of one
    :func:`infolib.cache.unit_warnings` item, naming at most ``most_units`` of its units."""
    times, units = issued.get("times", 1), list(issued.get("units") or [])
    where = [f"{times} times"] if times > 1 else []
    where += units[:most_units]
    if len(units) > most_units:
        where.append(f"{len(units) - most_units} more units")
    name = issued["category"].rpartition(".")[2]
    return f"{name} ({'; '.join(where)}): {issued['message']}" if where else (
        f"{name}: {issued['message']}")


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
    from infolib.numerics import processor_name

    return f"{device.type} ({processor_name()}, {os.cpu_count()} cores)"



# --- The verdict kit: four tests with known error rates, and ways to combine their verdicts -----

ALPHA = 0.05  # every test's level: a false "reproduced" at most 5% of the time
_AGAINST = ("not reproduced", "partly reproduced")  # verdicts that decide against a claim
_EXACT_LIMIT = 8  # settings per seed up to which the permutation null is enumerated exactly
_MONTE_CARLO = 20_000  # draws of a sampled null (seeded: the same data give the same p)


@dataclass(frozen=True)
class Result:
    """What a test of a claim found: ``verdict`` (one of :data:`VERDICTS`), ``measured`` (the
    numbers, for the claims table), ``note`` (the rule that decided, with its numbers) and
    ``p_against``: the one-sided p-value of the evidence against the claim, the one whose
    p <= :data:`ALPHA` gives "not reproduced" (None where the test cannot decide against the
    claim: :func:`differ`, one seed, not testable). :func:`all_of` weighs its parts by it."""

    verdict: str
    measured: str
    note: str
    p_against: float | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if self.p_against is not None and not 0.0 <= self.p_against <= 1.0:
            raise ValueError(f"p_against must be a p-value in [0, 1], got {self.p_against!r}")
        if self.verdict in _AGAINST and self.p_against is None:
            raise ValueError(f"a {self.verdict!r} result needs p_against, the evidence against "
                             "the claim, so that all_of can correct for its parts")


def _p_text(p: float) -> str:
    """A p-value with two significant digits, more where two would round it onto :data:`ALPHA`
    from either side (0.05004 reads "0.05004", not "0.05", which would look like a tie)."""
    for digits in range(2, 17):
        text = f"{p:.{digits}g}"
        if p == ALPHA or float(text) != ALPHA:
            return text
    return repr(p)


def seed_signs(differences, words: tuple[str, str] = ("rise", "fall")) -> str:
    """How many seeds a paired difference puts on each side, for a note: "3 of 5 seeds rise, 2
    fall" (``words``: the two sides' verbs). What a mean and its interval hide."""
    differences = np.asarray(differences, dtype=float)
    return (f"{int((differences > 0).sum())} of {len(differences)} seeds {words[0]}, "
            f"{int((differences < 0).sum())} {words[1]}")


def seed_differences(differences, spec: str = "+.3g") -> str:
    """Each seed's paired difference and how many are positive, for a note: "+12, -3, +5 (2 of 3
    positive)" (``spec``: the format of one difference, in its unit). What a mean and its interval
    hide when a verdict is inconclusive: do the seeds agree?"""
    differences = np.asarray(differences, dtype=float).ravel()
    if len(differences) == 0:
        raise ValueError("seed_differences needs at least one seed's difference")
    return (", ".join(format(d, spec) for d in differences)
            + f" ({int((differences > 0).sum())} of {len(differences)} positive)")


def mean_interval(values) -> tuple[float, float, float]:
    """(low, mean, high): the 90% t-interval of the mean over seeds that every verdict of the kit
    reads, for a note that says what an undecided interval still excludes (an effect of the
    paper's size, a margin). Needs two values or more."""
    values = _numbers("values", values, ndim=1)
    if values.size < 2:
        raise ValueError(f"an interval needs at least two seeds' values, got {values.size}")
    return _interval(values)


def not_testable(measured: str, why: str) -> Result:
    """A claim that cannot be tested as the paper states it; ``why`` says what stands in the way."""
    if not isinstance(why, str) or not why:
        raise ValueError("not_testable needs a reason: why is the claim not testable as stated?")
    return Result("not testable", measured, f"not testable: {why}")


def kendall_tau(x, y) -> float:
    """Kendall's tau-b between two sequences of equal length, in [-1, 1]:
    (concordant - discordant pairs) / sqrt((pairs untied in x) (pairs untied in y)).
    0 when either sequence is constant (no order to agree with)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    i, j = np.triu_indices(len(x), k=1)
    return float(_taus(np.sign(x[j] - x[i]), y[None, :], i, j)[0])


def trend(settings, values, *, expected: str, label: str = "tau", digits: int = 2) -> Result:
    """Does ``values`` (shape (seeds, settings)) rise or fall with ``settings``?

    ``settings`` is one sequence shared by all seeds, or one row per seed (shape of ``values``),
    e.g. each seed's validation accuracies when a measure should rank models as accuracy does.

    Statistic: the mean over seeds of Kendall's tau-b between the settings and each seed's
    values. Test: one-sided permutation test, the settings permuted within each seed
    (exact up to 8 settings, else 20,000 seeded permutations), at level 0.05. The null is
    "within a seed, the values are exchangeable across settings": for a training curve, whose
    epochs are not exchangeable (a random walk with no drift, 3-5 seeds, 5-10 epochs), a false
    "reproduced" happens 14-27% of the time (simulated): where the claim allows, test a curve
    by a :func:`contrast` of its ends, paired by seed.

    ``expected`` is ``"increasing"`` or ``"decreasing"``. Verdict: "reproduced" when
    p <= 0.05 in the expected direction; "not reproduced" when p <= 0.05 in the opposite one;
    otherwise "inconclusive" (also when the seeds and settings are too few, or the values too
    tied, for any p <= 0.05: the note says which; constant values have no rise or fall to test).
    With one row (one seed, or a ranking of seed-averaged values) the test is the exact
    permutation test of that one tau.
    Error rates with 5 settings and normal noise (checked by simulation in
    tests/test_claims.py): under no trend, "reproduced" about 3% of the time (at most 5%: the
    null is discrete); 3 seeds each with tau = 1 give p = 1/120^3. A linear trend whose slope per
    setting is 0.5 noise sd is reproduced about 65% of the time with 3 seeds, 86% with 5.
    """
    digits = integer("digits", digits, minimum=0)
    if expected not in ("increasing", "decreasing"):
        raise ValueError(f"expected must be 'increasing' or 'decreasing', got {expected!r}")
    table = _numbers("values", values, ndim=2)
    x = np.asarray(settings, dtype=float)
    x = _numbers("settings", np.broadcast_to(x, table.shape) if x.ndim == 1 else x, ndim=2)
    if table.shape != x.shape or table.shape[1] < 2:
        raise ValueError(
            f"values must have shape (seeds, settings) with at least 2 settings, matching the "
            f"settings {np.shape(settings)}, got {table.shape}"
        )
    if (np.ptp(x, axis=1) == 0).all():
        raise ValueError(f"the settings do not vary in any row ({np.unique(x).tolist()}): every "
                         "tau is 0 and no number of seeds could decide a trend")
    sign = 1.0 if expected == "increasing" else -1.0
    taus = np.array([kendall_tau(xs, row) for xs, row in zip(x, table)])
    observed = float(taus.mean())
    null = _permutation_null(x, table)  # (values, probabilities) of the mean tau, or a sample
    p_expected = _tail(null, observed, sign)
    p_opposite = _tail(null, observed, -sign)
    smallest = _tail(null, _extreme(null, sign), sign)  # the p of the most extreme outcome
    per_seed = ", ".join(f"{tau:+.{digits}f}" for tau in taus)
    measured = (f"mean {label} {observed:+.{digits}f} over {len(taus)} seeds ({per_seed}); "
                if len(taus) > 1 else f"{label} {observed:+.{digits}f} (one ranking); ") + (
                f"one-sided p = {_p_text(p_expected)}")
    result = functools.partial(Result, p_against=p_opposite)  # every verdict: p against
    if p_expected <= ALPHA:
        return result("reproduced", measured,
                      f"{expected} at p = {_p_text(p_expected)} <= {ALPHA} (permutation test)")
    if p_opposite <= ALPHA:
        opposite = "decreasing" if expected == "increasing" else "increasing"
        return result("not reproduced", f"{measured}; {opposite}: p = {_p_text(p_opposite)}",
                      f"{opposite}, the opposite of the claim, at p = {_p_text(p_opposite)} "
                      f"<= {ALPHA}")
    constant = np.ptp(table, axis=1) == 0  # rows whose values are all equal
    if constant.all():
        return result("inconclusive", measured, "the values do not change with the settings in "
                      "any seed: no rise or fall to test")
    # one row: one seed (more seeds, as more rows, might decide) or one ranking of seed-averaged
    # values (more seeds averaged into it steady its values but not what one ranking can reach)
    more = ("one row: more rows might decide; more seeds averaged into one ranking do not change "
            "what it can reach" if len(taus) == 1 else "more seeds might decide")
    if smallest > ALPHA:
        design = (f"{len(taus)} row(s) x {table.shape[1]} settings cannot reach p <= {ALPHA} "
                  f"(smallest possible p = {_p_text(smallest)})")
        tied = sum(np.unique(row).size < row.size for row in table)
        if not tied:
            return result("inconclusive", measured, f"{design}; {more}")
        ranks = np.broadcast_to(np.arange(table.shape[1], dtype=float), table.shape)
        untied = _permutation_null(x, ranks)  # the same settings, values without ties
        untied_smallest = _tail(untied, _extreme(untied, sign), sign)
        ties = (f"ties among the values limit it (tied values in {tied} of {len(taus)} row(s)"
                + (f", {constant.sum()} constant" if constant.any() else "") + ")")
        if untied_smallest <= ALPHA:
            return result("inconclusive", measured, f"{design}: {ties}; untied values could reach "
                          f"p = {_p_text(untied_smallest)}")
        return result("inconclusive", measured,
                      f"{design}: {ties}, as do the few seeds and settings (smallest possible p "
                      f"without ties = {_p_text(untied_smallest)}); {more}")
    return result("inconclusive", measured,
                  f"neither {expected} nor the opposite at p <= {ALPHA} "
                  f"(p = {_p_text(p_expected)} and {_p_text(p_opposite)}); {more}")


def contrast(a, b, *, expected: str, margin: float | None = None, unit: str = "",
             label: str = "a - b", digits: int = 2) -> Result:
    """Paired per-seed comparison of ``a`` with ``b`` (``a[i]`` and ``b[i]`` share seed i).

    The 90% t-interval of the mean paired difference d = a - b decides (n >= 2 seeds):

    - ``"greater"``: reproduced when its lower end is > 0, not reproduced when its upper end is
      < 0 (or < ``margin``, the smallest difference that would count, when given), else
      inconclusive. The claim is a sign: an interval wholly inside (0, ``margin``) is
      "reproduced" (the difference is positive, if small); the margin decides only intervals
      that contain 0, where one wholly below it means no difference that counts. ``"less"``:
      the mirror image. Under no difference (normal noise), a false "reproduced" happens 5% of
      the time; a true difference of 1 (2) noise sd is reproduced about 30% (70%) of the time
      with 3 seeds, 57% (97%) with 5.
    - ``"not greater"`` (``margin`` > 0 required: the rise that would count): reproduced when the
      upper end is < margin, not reproduced when the lower end is > margin, else inconclusive; at a
      true difference of one margin a false "reproduced" happens at most 5% of the time.
      ``"not less"``: the mirror image (the lower end > -margin).
    - ``"equal"`` (two one-sided tests, ``margin`` > 0 required): reproduced when the interval lies
      inside (-margin, margin); not reproduced when it lies wholly beyond one of them (an end on
      the margin is not beyond it); else inconclusive. At a
      true difference of one margin, a false "equal" happens at most 5% of the time; at no true
      difference and a margin of 2 noise sd, "equal" is reproduced about 56% of the time with 3
      seeds, 95% with 5.
    """
    digits = integer("digits", digits, minimum=0)
    kinds = ("greater", "less", "equal", "not greater", "not less")
    if expected not in kinds:
        raise ValueError(f"expected must be one of {kinds}, got {expected!r}")
    if isinstance(a, pd.Series) and isinstance(b, pd.Series) and not a.index.equals(b.index):
        raise ValueError("a and b are paired by position, but their indexes differ (pairs would "
                         f"be mixed up): {list(a.index)[:5]} and {list(b.index)[:5]}; align them")
    a, b = _numbers("a", a, ndim=1), _numbers("b", b, ndim=1)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must be paired per seed (same length), got {a.size} and {b.size}"
        )
    if margin is not None:
        margin = real("margin", margin, above=0.0)
    elif expected in ("equal", "not greater", "not less"):
        raise ValueError(f"expected={expected!r} needs margin: the difference that would count, "
                         "fixed before seeing the result")
    unit = f" {unit}" if unit else ""
    d = a - b
    sign = -1.0 if expected in ("less", "not less") else 1.0  # oriented: the claim's side is +
    lines = [0.0] if margin is None else [-margin, margin] if expected == "equal" else (
        [sign * margin] if expected.startswith("not") else [0.0, sign * margin])
    low, high, measured, interval = _described_interval(d, f"{label} =", unit, digits, "+", lines)
    if interval is None:
        return Result("inconclusive", measured, "one seed: no interval; more seeds might decide")
    shown = _line_text(margin, (abs(low), abs(high))) if margin is not None else None
    if expected == "equal":
        result = functools.partial(Result, p_against=_p_past(d, abs(_mean(d)) - margin))
        if -margin < low and high < margin:
            return result("reproduced", measured, f"{interval} lies inside ±{shown}{unit}")
        if low > margin or high < -margin:
            return result("not reproduced", measured, f"{interval} lies outside ±{shown}{unit}")
        return result("inconclusive", measured,
                      _undecided(d, f"{interval} crosses ±{shown}{unit}"))
    if expected in ("not greater", "not less"):
        near, far = (low, high) if sign > 0 else (-high, -low)  # oriented: a rise is positive
        inside, beyond = ("below", "above") if sign > 0 else ("above", "below")
        line = f"{'+' if sign > 0 else '-'}{shown}{unit} (the margin)"
        result = functools.partial(Result, p_against=_p_past(d, sign * _mean(d) - margin))
        if far < margin:
            return result("reproduced", measured, f"{interval} stays {inside} {line}")
        if near > margin:
            return result("not reproduced", measured, f"{interval} lies {beyond} {line}")
        return result("inconclusive", measured, _undecided(d, f"{interval} crosses {line}"))
    near, far = (low, high) if sign > 0 else (-high, -low)  # the interval, oriented to the claim
    floor = margin if margin is not None else 0.0
    result = functools.partial(Result, p_against=_p_past(d, floor - sign * _mean(d)))
    if near > 0:
        return result("reproduced", measured, f"{interval} excludes 0 on the {expected} side")
    if far < floor:
        opposite = "less" if sign > 0 else "greater"
        signed_margin = f"{'+' if sign > 0 else '-'}{shown}{unit}"
        return result("not reproduced", measured, f"{interval} excludes 0 on the {opposite} side"
                      if margin is None else f"{interval} excludes a difference of "
                      f"{signed_margin} (the margin) on the {expected} side")
    return result("inconclusive", measured, _undecided(d, f"{interval} contains 0"))


def threshold(values, value: float, *, expected: str, unit: str = "", label: str = "mean",
              digits: int = 2) -> Result:
    """Is the mean of ``values`` (one per seed) above or below ``value``?

    Reproduced when the 90% t-interval of the mean lies wholly on the ``expected`` side
    (``"above"`` or ``"below"``), not reproduced when it lies wholly on the other side, else
    inconclusive. When the true mean equals ``value`` (normal noise), a false "reproduced"
    happens 5% of the time; a mean 1 (2) noise sd beyond it is reproduced about 30% (70%) of the
    time with 3 seeds, 57% (97%) with 5.
    """
    digits = integer("digits", digits, minimum=0)
    if expected not in ("above", "below"):
        raise ValueError(f"expected must be 'above' or 'below', got {expected!r}")
    values = _numbers("values", values, ndim=1)
    value = real("value", value)
    unit = f" {unit}" if unit else ""
    low, high, measured, interval = _described_interval(values, label, unit, digits, "", [value])
    line = _line_text(value, (low, high) if values.size > 1 else ())
    measured = f"{measured} vs {line}"
    if interval is None:
        return Result("inconclusive", measured, "one seed: no interval; more seeds might decide")
    distance = value - _mean(values) if expected == "above" else _mean(values) - value
    result = functools.partial(Result, p_against=_p_past(values, distance))
    if (low > value) if expected == "above" else (high < value):
        return result("reproduced", measured, f"{interval} lies {expected} {line}{unit}")
    if (high < value) if expected == "above" else (low > value):
        other = "below" if expected == "above" else "above"
        return result("not reproduced", measured, f"{interval} lies {other} {line}{unit}")
    return result("inconclusive", measured,
                  _undecided(values, f"{interval} contains {line}{unit}"))


def differ(groups: dict[str, Sequence[float]], *, unit: str = "", label: str = "T",
           digits: int = 2) -> Result:
    """Do the means of ``groups`` (name -> one value per seed; seeds not paired across groups)
    differ by more than the spread between seeds explains?

    Statistic: Welch's T = sum_i w_i (m_i - m_w)^2, with m_i and s_i^2 a group's mean and sample
    variance, w_i = n_i / s_i^2 and m_w = sum_i w_i m_i / sum_i w_i: each group weighed by its own
    spread, none assumed alike. Test: the parametric bootstrap of Krishnamoorthy, Lu and Mathew
    (2007): T's distribution when all means are equal, drawn with each group's own spread (means
    from N(0, s_i^2 / n_i), variances from s_i^2 chi2_{n_i - 1} / (n_i - 1); 20,000 seeded draws),
    at level 0.05: reproduced when p <= 0.05, else inconclusive (a large p does not show that the
    means are equal: for that, :func:`contrast` with ``expected="equal"`` and a margin).
    Error rates with normal noise, 3 groups (tests/test_claims.py): under equal means a false
    "reproduced" happens about 3-4% of the time when the groups spread alike and about 6% when
    their sds are 1, 3 and 10 (the permutation test of the F statistic that this replaced gave
    11-14% there: it tests identical distributions, not equal means). Means 0, 1 and 2 noise sd
    are told apart about 60% of the time with 5 seeds each, 25% with 3.
    """
    digits = integer("digits", digits, minimum=0)
    if not isinstance(groups, dict) or len(groups) < 2:
        raise ValueError("groups must be a dict of at least 2 named groups of values")
    arrays = {name: _numbers(f"groups[{name!r}]", values, ndim=1)
              for name, values in groups.items()}
    means = ", ".join(f"{n} {v.mean():.{digits}f}" for n, v in arrays.items())
    described = f"means {means}" + (f" {unit}" if unit else "")
    if any(len(values) < 2 for values in arrays.values()):
        return Result("inconclusive", described, "a group with one seed has no spread to "
                      "compare with; more seeds might decide")
    flat = [name for name, values in arrays.items() if np.ptp(values) == 0]
    if flat:
        return Result("inconclusive", described, f"no spread between the seeds of {flat}: the "
                      "test weighs each group by its own spread")
    n = np.array([len(v) for v in arrays.values()], dtype=float)
    m = np.array([v.mean() for v in arrays.values()])
    variance = np.array([v.var(ddof=1) for v in arrays.values()])
    observed = float(_welch_t(m[None], (n / variance)[None])[0])
    rng = np.random.default_rng(0)
    null_means = rng.normal(size=(_MONTE_CARLO, n.size)) * np.sqrt(variance / n)
    null_variances = variance * rng.chisquare(n - 1, size=(_MONTE_CARLO, n.size)) / (n - 1)
    null = _welch_t(null_means, n / null_variances)
    p = (1 + np.count_nonzero(null >= observed)) / (1 + null.size)
    measured = (f"{label} = {observed:.{digits}f} over {len(arrays)} groups ({described}); "
                f"parametric bootstrap p = {_p_text(p)}")
    if p <= ALPHA:
        return Result("reproduced", measured,
                      f"the groups differ beyond the seeds' spread at p = {_p_text(p)} "
                      f"<= {ALPHA}")
    return Result("inconclusive", measured,
                  f"p = {_p_text(p)} > {ALPHA}: the difference is within the seeds' spread; more "
                  "seeds might decide")


def _welch_t(means: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Welch's T of each row: sum_i w_i (m_i - m_w)^2, m_w the w-weighted mean of the row."""
    centre = (weights * means).sum(axis=1, keepdims=True) / weights.sum(axis=1, keepdims=True)
    return (weights * (means - centre) ** 2).sum(axis=1)


def all_of(*results: Result, partial: bool = True) -> Result:
    """One verdict for a claim made of parts.

    With ``partial=True`` (the default) the parts are separate sub-claims ("each of three
    teachers transfers information"): reproduced when every part is; partly reproduced when some
    parts are and others are not; not reproduced when a part is decided against the claim and
    none for it, even if another part is not testable; otherwise inconclusive (or not testable,
    when a part is). "Partly" reports a part decided against the claim, not missing evidence:
    (reproduced, reproduced, not reproduced) is "partly reproduced", while (reproduced,
    reproduced, inconclusive) is "inconclusive", since the undecided part may yet go either way.

    With ``partial=False`` the parts make one statement over several comparisons ("X has the
    lowest score of all", "only X", a monotone chain), which holds only if every part does:
    not reproduced when any part is decided against it (a "not reproduced" or "partly reproduced"
    part), even if other parts are reproduced or not testable; reproduced only when every part
    is; otherwise not testable when a part is, else inconclusive. Such a claim is never "partly
    reproduced".

    Several parts give several chances of a false "against": under no effect in any of k parts,
    each at level 0.05, some part is decided against 9% (k = 2) to 26% (k = 6) of the time. So a
    part counts against the claim only when its ``p_against`` survives Holm's correction over
    the k parts that can be decided against (the smallest p <= 0.05 / k, the next <= 0.05 /
    (k - 1), ...); a part that does not is counted inconclusive, and the note says so. A false
    "not reproduced" or "partly reproduced" then happens at most 5% of the time (checked by
    simulation in tests/test_claims.py). "Reproduced" needs every part, which is already at most
    5% false, and is not corrected. The combined ``p_against`` is the smallest part's times k.
    """
    if not results or not all(isinstance(r, Result) for r in results):
        raise TypeError("all_of takes one or more Result objects (from trend, contrast, ...)")
    if not isinstance(partial, bool):
        raise TypeError(f"partial must be True or False, got {partial!r}")
    ps = [r.p_against for r in results if r.p_against is not None]  # the parts that can be against
    against = _holm([r.p_against for r in results])
    notes, verdicts = [], set()
    for r, counts in zip(results, against):
        note = f"{r.verdict}: {r.note}"
        if r.verdict in _AGAINST and not counts:
            verdicts.add("inconclusive")
            note += (f" (p = {_p_text(r.p_against)} against the claim, not decided by Holm's "
                     f"correction over {len(ps)} parts: counted "
                     "inconclusive)")
        else:
            verdicts.add(r.verdict)
        notes.append(note)
    if not partial:
        if verdicts & set(_AGAINST):  # one part refutes the statement
            verdict = "not reproduced"
        elif verdicts == {"reproduced"}:
            verdict = "reproduced"
        elif "not testable" in verdicts:
            verdict = "not testable"
        else:
            verdict = "inconclusive"
    elif verdicts == {"reproduced"}:
        verdict = "reproduced"
    elif "not reproduced" in verdicts:  # a part decided against the claim, untestable ones aside
        verdict = "partly reproduced" if verdicts & {"reproduced", "partly reproduced"} else (
            "not reproduced")
    elif verdicts <= {"reproduced", "partly reproduced"}:
        verdict = "partly reproduced"
    elif "not testable" in verdicts:  # only where the verdict would otherwise be inconclusive
        verdict = "not testable"
    else:
        verdict = "inconclusive"
    return Result(verdict, "; ".join(r.measured for r in results), "; ".join(notes),
                  min(1.0, min(ps) * len(ps)) if ps else None)


def _holm(p_values: Sequence[float | None]) -> list[bool | None]:
    """Holm's step-down test at level :data:`ALPHA` over the p-values given (None: a part that
    cannot be decided, left out of the count): True where a p-value is rejected, False where
    not, None where it was None. The i-th smallest of k is rejected when it and every smaller
    one are <= ALPHA / (k - i), i = 0, 1, ..."""
    given = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    rejected: list[bool | None] = [None if p is None else False for p in p_values]
    for rank, (p, i) in enumerate(given):
        if p > ALPHA / (len(given) - rank):
            break
        rejected[i] = True
    return rejected


def unchanged_by(result: Result, **variants: Result) -> Result:
    """The verdict of ``result`` when the same test under every other defensible protocol choice
    (``variants``, named by the choice) gives the same verdict; inconclusive otherwise, since the
    verdict would then depend on a choice the paper does not make. Measured and note list every
    version, the first as ``result``'s; ``p_against`` is the largest of theirs (every version
    must be decided against the claim for the verdict to be)."""
    if not isinstance(result, Result) or not variants or not all(
            isinstance(r, Result) for r in variants.values()):
        raise TypeError("unchanged_by takes a Result and at least one named Result variant")
    differing = [name for name, r in variants.items() if r.verdict != result.verdict]
    verdict = "inconclusive" if differing else result.verdict
    note = "; ".join([result.note] + [f"{name}: {r.verdict} ({r.note})"
                                      for name, r in variants.items()])
    if differing:
        note += f"; the verdict differs with {', '.join(differing)}, so it is inconclusive"
    ps = [r.p_against for r in (result, *variants.values())]
    return Result(verdict, "; ".join([result.measured] + [r.measured for r in variants.values()]),
                  note, None if None in ps else max(ps))


def _numbers(name: str, values, *, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must hold numbers, got {values!r}") from error
    if array.ndim != ndim or array.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D array, got shape {array.shape}")
    finite(name, array)  # a failed run is handled before a verdict, not averaged
    return array


def _described_interval(values: np.ndarray, label: str, unit: str, digits: int, sign: str,
                        lines: Sequence[float] = ()):
    """(low, high, measured text, note text) of the 90% interval of the mean of ``values``; the
    note text is None for one value (no interval). ``sign`` "+" shows signs (differences).
    Printed with ``digits`` decimals, or more where fewer would print an end on the other side of
    (or on) one of the ``lines`` that decide the verdict, as printed by :func:`_line_text`."""
    low, mean, high = _interval(values)
    n = values.size
    if n < 2:
        return low, high, f"{label} {mean:{sign}.{digits}f}{unit}, no interval (n={n})", None
    digits = _decisive_digits((low, high), lines, digits)
    bounds = f"[{low:{sign}.{digits}f}, {high:{sign}.{digits}f}]"
    measured = f"{label} {mean:{sign}.{digits}f}{unit}, 90% interval {bounds} (n={n})"
    return low, high, measured, f"the 90% interval [{low:.{digits}f}, {high:.{digits}f}]"


def _line_text(line: float, ends: Sequence[float]) -> str:
    """A line (threshold, margin) in 3 significant digits, one more per whole digit past the
    first (1234.5, not 1.23e+03), or more where fewer would print it on the other side of (or
    on) an end of the interval."""
    whole_digits = int(np.floor(np.log10(abs(line)))) if line != 0 else 0
    for precision in range(3 + max(whole_digits, 0), 18):
        text = f"{line:.{precision}g}"
        if all(np.sign(float(text) - end) == np.sign(line - end) for end in ends):
            return text
    return repr(line)


def _decisive_digits(ends: Sequence[float], lines: Sequence[float], digits: int) -> int:
    """The fewest decimals, at least ``digits``, at which each printed end of an interval lies on
    the same side of each line (as the line itself and as printed by :func:`_line_text`) as the
    end does: "[0.12, 0.12] lies above 0.123" becomes "[0.1236, 0.1240] lies above 0.123"."""
    printed_lines = [float(_line_text(line, ends)) for line in lines]
    for decimals in range(digits, digits + 12):
        if all(np.sign(float(f"{end:.{decimals}f}") - mark) == np.sign(end - line)
               for end in ends for line, shown in zip(lines, printed_lines)
               for mark in (line, shown)):
            return decimals
    return digits + 12


def _undecided(values: np.ndarray, why: str) -> str:
    """The note of an inconclusive interval: ``why``, then that more seeds might decide, unless
    every seed gave the same value (a zero-width interval on the line, such as accuracies all at
    1.0): then more seeds of the same setting would not decide either."""
    if np.ptp(values) == 0:
        return (f"{why}; every seed gives the same value ({values[0]:.3g}): more seeds of this "
                "setting would not decide it")
    return f"{why}; more seeds might decide"


def _p_past(values: np.ndarray, distance: float) -> float:
    """The one-sided t-test p-value that the true mean of ``values`` lies past a line which their
    mean passes by ``distance`` (positive: the mean is already past it), P(T_{n-1} >= distance /
    se) with se = sd / sqrt(n); <= 0.05 exactly when the 90% t-interval lies wholly past the line.
    With no spread (se = 0): 0 when the mean is past the line, else 1."""
    from scipy.stats import t

    se = _standard_error(values)
    if se == 0:
        return 0.0 if distance > 0 else 1.0
    return float(t.sf(distance / se, values.size - 1))


def _interval(differences: np.ndarray) -> tuple[float, float, float]:
    """(low, mean, high): the 90% two-sided t-interval of the mean (NaN ends for one value)."""
    mean = _mean(differences)
    if differences.size < 2:
        return float("nan"), mean, float("nan")
    half = _t_quantile(differences.size - 1) * _standard_error(differences)
    return mean - half, mean, mean + half


def _mean(values: np.ndarray) -> float:
    """The mean; exactly the common value when all values are equal (a sum of n equal floats
    divided by n can be off by rounding: ten times 0.03 gives 0.030000000000000006)."""
    return float(values[0]) if np.ptp(values) == 0 else float(values.mean())


def _standard_error(values: np.ndarray) -> float:
    """The standard error of the mean, sd / sqrt(n) with the sample sd (ddof = 1); exactly 0
    when all values are equal (numpy's sd of ten times 0.03 is 7e-18, which would decide a
    verdict on a line the values sit on)."""
    if np.ptp(values) == 0:
        return 0.0
    return float(values.std(ddof=1) / np.sqrt(values.size))


@functools.cache
def _t_quantile(dof: int) -> float:
    """The 95% quantile of Student's t with ``dof`` degrees of freedom (one end of a 90%
    two-sided interval)."""
    from scipy.stats import t

    return float(t.ppf(0.95, dof))


def _permutation_null(x: np.ndarray, table: np.ndarray):
    """The null distribution of the mean tau with each row's values permuted against its
    settings: ``("exact", values, probabilities)`` by convolving each seed's distribution over
    all permutations, or ``("sample", means)`` of 20,000 seeded random permutations when that
    would be too large."""
    n_seeds, n_settings = table.shape
    i, j = np.triu_indices(n_settings, k=1)
    signs = np.sign(x[:, j] - x[:, i])  # (seeds, pairs)
    if n_settings <= _EXACT_LIMIT:
        orders = np.array(list(itertools.permutations(range(n_settings))))
        support: dict[float, float] = {0.0: 1.0}
        for sx, row in zip(signs, table):
            taus = _taus(sx, row[orders], i, j)
            values, counts = np.unique(np.round(taus / n_seeds, 12), return_counts=True)
            if len(support) * len(values) > 2_000_000:
                break
            merged: dict[float, float] = {}
            for total, p in support.items():
                for value, count in zip(values, counts):
                    key = round(total + value, 10)
                    merged[key] = merged.get(key, 0.0) + p * count / len(orders)
            support = merged
        else:
            keys = np.array(list(support))
            return ("exact", keys, np.array([support[k] for k in keys]))
    rng = np.random.default_rng(0)
    means = np.zeros(_MONTE_CARLO)
    for sx, row in zip(signs, table):
        orders = rng.permuted(np.tile(np.arange(n_settings), (_MONTE_CARLO, 1)), axis=1)
        means += _taus(sx, row[orders], i, j) / n_seeds
    return ("sample", means)


def _taus(sx: np.ndarray, rows: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each row of ``rows`` against the settings whose pair signs are sx."""
    sy = np.sign(rows[:, j] - rows[:, i])
    denominator = np.sqrt(np.count_nonzero(sx) * np.count_nonzero(sy, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (sy @ sx) / denominator, 0.0)


def _tail(null, observed: float, direction: float) -> float:
    """P(mean tau >= observed) under the null (direction +1), or P(<= observed) (direction -1);
    a sampled null counts the observation itself: (1 + hits) / (1 + draws)."""
    tolerance = 1e-9
    if null[0] == "exact":
        _, values, probabilities = null
        hit = values >= observed - tolerance if direction > 0 else values <= observed + tolerance
        return float(min(1.0, probabilities[hit].sum()))
    means = null[1]
    hits = np.count_nonzero(means >= observed - tolerance if direction > 0
                            else means <= observed + tolerance)
    return (1 + hits) / (1 + means.size)


def _extreme(null, direction: float) -> float:
    """The most extreme mean tau the null can produce in ``direction`` (its support's end)."""
    values = null[1]
    return float(values.max() if direction > 0 else values.min())


def load(path: str | os.PathLike) -> Claims:
    """The :class:`Claims` saved at ``path`` by :meth:`Claims.save`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        claims = Claims(data["chapter"], data["paper"], data["profile"])
        claims.provenance = dict(data.get("provenance", {}))
        claims.claims = [Claim(**claim) for claim in data["claims"]]
        ids = [claim.id for claim in claims.claims]
        if len(set(ids)) != len(ids):
            raise ValueError(f"claim ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
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
    chapters = _load_chapters(paths)
    if not chapters:
        return "No chapter has been executed yet, so no claim has been tested.\n"
    counts = []
    for claims in chapters:
        by_verdict = _verdict_count(claims)
        counts.append([by_verdict[name] for name in VERDICTS] + [len(claims.claims)])
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


# Colours of the verdicts in the scorecard figure: decided for, partly, against, undecided.
VERDICT_COLORS = {"reproduced": "#2e7d32", "partly reproduced": "#9ccc65",
                  "not reproduced": "#c62828", "inconclusive": "#9e9e9e",
                  "not testable": "#d7ccc8", "not tested at this profile": "#eceff1"}


def verdict_counts(paths: Iterable[str | os.PathLike]) -> dict[str, dict[str, int]]:
    """{chapter: {verdict: number of its claims}} for every verdict of :data:`VERDICTS`."""
    return {claims.chapter: _verdict_count(claims) for claims in _load_chapters(paths)}


def _load_chapters(paths: Iterable[str | os.PathLike]) -> list[Claims]:
    """The claims files at ``paths``, loaded; two files of one chapter (or one file given twice)
    raise ``ValueError``, so that the table, the totals and the figure count the same claims."""
    loaded: dict[str, tuple[str, Claims]] = {}
    for path in paths:
        claims = load(path)
        if claims.chapter in loaded:
            raise ValueError(f"two claims files of chapter {claims.chapter!r}: "
                             f"{loaded[claims.chapter][0]} and {path}; gather one per chapter")
        loaded[claims.chapter] = (str(path), claims)
    return [claims for _, claims in loaded.values()]


def _verdict_count(claims: Claims) -> dict[str, int]:
    verdicts = [claim.verdict for claim in claims.claims]
    return {name: verdicts.count(name) for name in VERDICTS}


def totals_sentence(paths: Iterable[str | os.PathLike]) -> str:
    """One sentence with the book's totals, for the introduction."""
    counts = verdict_counts(paths)
    if not counts:
        return "No chapter has been executed yet, so no claim has been tested.\n"
    totals = {name: sum(c[name] for c in counts.values()) for name in VERDICTS}
    parts = ", ".join(f"{number} {name}" for name, number in totals.items() if number)
    if not parts:
        return "In this build the chapters record no claim of the papers.\n"
    return (f"In this build the chapters test {sum(totals.values())} claims of the papers: "
            f"{parts}.\n")


def scorecard_figure(paths: Iterable[str | os.PathLike], out: str | os.PathLike) -> Path:
    """A horizontal stacked bar per chapter: how many of its claims got each verdict (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = verdict_counts(paths)
    chapters = list(counts)[::-1]  # the first chapter on top
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(chapters), 1) + 1.3))
    left = np.zeros(len(chapters))
    for name in VERDICTS:
        widths = np.array([counts[chapter][name] for chapter in chapters], dtype=float)
        ax.barh(chapters, widths, left=left, color=VERDICT_COLORS[name], edgecolor="white",
                label=name)
        for y, (x, width) in enumerate(zip(left, widths)):
            if width:
                ax.text(x + width / 2, y, str(int(width)), ha="center", va="center", fontsize=8,
                        color="white" if name in ("reproduced", "not reproduced") else "black")
        left += widths
    ax.set_xlabel("claims")
    # above the bars: an offset below them in axes units grows with the number of chapters
    ax.legend(ncol=3, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out


PROVENANCE_COLUMNS = ("chapter", "profile", "seeds", "overridden parameters", "wall time",
                      "device", "threads", "float path", "warnings", "versions", "commit",
                      "finished")


def provenance_markdown(paths: Iterable[str | os.PathLike]) -> str:
    """"How this book was run": one row per saved claims file, from its provenance (see
    :func:`provenance`). The wall time is papermill's (``metadata.papermill.duration`` of the
    executed notebook ``<chapter>.ipynb`` beside the claims file) when that notebook is there,
    else the chapter's own, from resolving its settings to saving its claims."""
    rows = []
    paths = list(paths)
    for path, claims in zip(paths, _load_chapters(paths)):
        info = claims.provenance or {}
        seconds, source = _papermill_duration(Path(path).with_name(f"{claims.chapter}.ipynb"))
        if seconds is None:
            seconds, source = info.get("wall_time_s"), "the chapter's own clock"
        seeds = info.get("seeds")
        overrides = info.get("overrides") or {}
        rows.append([
            claims.chapter,
            f"`{info.get('profile') or claims.profile}`",
            "—" if not seeds else f"{len(seeds)} ({', '.join(str(s) for s in seeds)})",
            ", ".join(f"`{name}={value!r}`" for name, value in overrides.items()) or "none",
            "—" if seconds is None else f"{seconds / 60:.1f} min ({source})",
            info.get("device") or "—",
            info.get("threads") or "—",
            _float_path_cell(info),
            _warnings_cell(info),
            f"Python {info.get('python')}, torch {info.get('torch')}, numpy {info.get('numpy')}, "
            f"infolib {info.get('infolib')}",
            f"`{info['commit']}`" if info.get("commit") else "—",
            info.get("finished") or "—",
        ])
    if not rows:
        return "No chapter has been executed yet.\n"
    return _markdown_table(PROVENANCE_COLUMNS, rows) + "\n"


def _float_path_cell(info: dict) -> str:
    """``reference 9ca6cd26abfa (torch AVX2, MKL compatible, 2 threads); units: all 40 on it``,
    or the other digests its units came from (an older cache, another machine's shard)."""
    from infolib.cache import UNRECORDED
    from infolib.numerics import describe

    path = info.get("float_path")
    if not isinstance(path, dict):
        return "not recorded"
    units = info.get("unit_float_paths") or {}
    others = {digest: n for digest, n in units.items() if digest != path.get("digest")}
    if not units:
        where = "no cached units"
    elif not others:
        where = f"all {sum(units.values())} on it"
    else:
        parts = [f"{units.get(path.get('digest'), 0)} on it"]
        parts += [f"{n} unrecorded" if digest == UNRECORDED else f"{n} on {digest}"
                  for digest, n in sorted(others.items())]
        where = ", ".join(parts)
    return f"{describe(path)}; units: {where}"


def _warnings_cell(info: dict) -> str:
    """``none``, or each warning the chapter's units issued (:func:`_warning_words`), "; "
    between them; ``not recorded`` for a claims file older than the record."""
    issued = info.get("unit_warnings")
    if not isinstance(issued, list):
        return "not recorded"
    return "; ".join(_warning_words(w) for w in issued) or "none"


def _papermill_duration(notebook: Path) -> tuple[float | None, str]:
    try:
        metadata = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["papermill"]
        return float(metadata["duration"]), "papermill"
    except (OSError, ValueError, KeyError, TypeError):
        return None, ""


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
    parser.add_argument("--provenance", action="store_true",
                        help="write how each chapter ran instead of the claims")
    parser.add_argument("--totals", action="store_true",
                        help="write one sentence with the verdict totals instead")
    parser.add_argument("--figure", metavar="PNG",
                        help="also draw the verdicts per chapter into this PNG")
    args = parser.parse_args(argv)
    gather = (provenance_markdown if args.provenance
              else totals_sentence if args.totals else scorecard_markdown)
    try:
        files = _claims_files(args.inputs)
        text = gather(files)
        if args.figure:
            scorecard_figure(files, args.figure)
    except ValueError as error:
        parser.error(str(error))
    atomic_write(args.out, lambda file: file.write(text.encode("utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
