"""Shards compute every unit of a chapter once between them, and their packs merge into one cache.

The chapters here are tiny py:percent files written to tmp_path, so that these tests stay fast;
``tests/test_chapters.py`` runs the real ones.
"""

import contextlib
import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from infolib.cache import canonical_key, entry_meta, read_entry
from infolib.shard import (
    MANIFEST,
    BadPack,
    Shard,
    StandIn,
    UnitInAnotherShard,
    assigned_names,
    left_out,
    merge_pack,
    parse_only,
    read_cells,
    read_manifest,
    run_shard,
)
from infolib.shard import main as shard_main

ROOT = Path(__file__).resolve().parents[1]

CHAPTER = '''\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # A tiny chapter
#
# Its units log each computation to $CALLS_LOG.

# %% tags=["parameters"]
profile = "cpu"
scale = None

# %%
import json
import os
import re
from pathlib import Path

import numpy as np

from infolib.cache import cached

PROFILES = {"cpu": 2, "gpu": 5}
SCALE = PROFILES[profile] if scale is None else scale


def work(i):
    with open(os.environ["CALLS_LOG"], "a") as log:
        log.write(f"{i}\\n")
    return {"value": np.arange(3) * i * SCALE, "i": i}


def run(i):
    return cached({"chapter": "tiny", "experiment": "units", "i": i, "profile": profile},
                  lambda: work(i))


# %% [markdown]
# Units gathered first, read after: the usual pattern.

# %%
units = {i: run(i) for i in range(10)}
rows = [dict(n=i, **units[i]) for i in range(10)]

# %%
total = sum(float(u["value"].sum()) for u in units.values())

# %% [markdown]
# A loop that reads each unit as soon as it has it.

# %%
seconds = []
for i in range(10, 16):
    result = run(i)
    seconds.append(float(result["value"][1]))

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

fig, ax = plt.subplots()
ax.plot(seconds)
plt.show()
display(Markdown(f"The total is {total}."))
Path("out.json").write_text(json.dumps({"total": total, "seconds": seconds}))
'''

UNITS = 16


def unit_owner(i, n=2, profile="cpu"):
    key = {"chapter": "tiny", "experiment": "units", "i": i, "profile": profile}
    return Shard(0, n).owner(canonical_key(key))


@contextlib.contextmanager
def ticking_clock(monkeypatch):
    """time.monotonic as infolib.shard sees it inside: 1, 2, 3, ..., one tick per look (one per
    unit it may start), so that a time limit falls between two given units."""
    ticks = iter(range(1, 100))
    real_monotonic = time.monotonic

    def clock():
        caller = sys._getframe(1).f_globals.get("__name__")
        return next(ticks) if caller == "infolib.shard" else real_monotonic()

    monkeypatch.setattr(time, "monotonic", clock)
    try:
        yield
    finally:
        monkeypatch.setattr(time, "monotonic", real_monotonic)


def write_chapter(tmp_path, text=CHAPTER, name="tiny.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def calls(log):
    return [int(line) for line in log.read_text().split()] if log.exists() else []


@pytest.fixture
def call_log(tmp_path, monkeypatch):
    log = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_LOG", str(log))
    return log


def quiet(text):
    pass


def run(chapter, shard, root, output=None, **options):
    return run_shard(chapter, Shard.parse(shard) if isinstance(shard, str) else shard,
                     output=output, root=root, log=quiet, **options)


def test_shard_parse_and_owner():
    assert Shard.parse("1/4") == Shard(1, 4)
    assert str(Shard.parse(" 0 / 2 ")) == "0/2"
    for bad in ("4/4", "1", "-1/2", "a/b", "0/0"):
        with pytest.raises(ValueError, match="i/n"):
            Shard.parse(bad)
    owners = [unit_owner(i, n=3) for i in range(60)]
    assert owners == [unit_owner(i, n=3) for i in range(60)], "stable"
    assert set(owners) == {0, 1, 2}


def test_read_cells_keeps_code_cells_with_tags_and_lines(tmp_path):
    cells = read_cells(write_chapter(tmp_path))
    assert cells[0].tags == ("parameters",)
    assert cells[0].source.startswith('profile = "cpu"')
    assert cells[0].line == CHAPTER.splitlines().index('profile = "cpu"') + 1
    assert all("# %%" not in cell.source and "A tiny chapter" not in cell.source
               for cell in cells)
    assert len(cells) == 6
    assert assigned_names(compile_tree(cells[1].source)) >= {"json", "os", "Path", "np", "cached",
                                                             "PROFILES", "SCALE", "work", "run"}


def compile_tree(source):
    import ast

    return ast.parse(source)


def test_two_shards_compute_every_unit_once_and_the_merged_cache_serves_a_full_run(
        tmp_path, call_log):
    chapter = write_chapter(tmp_path)
    manifests = []
    for i in range(2):  # two machines: two caches
        manifests.append(run(chapter, f"{i}/2", tmp_path / f"cache{i}",
                             output=tmp_path / f"pack{i}.tar", parameters={"scale": 3}))
    computed = calls(call_log)
    assert sorted(computed) == list(range(UNITS)), "every unit exactly once"
    for i, manifest in enumerate(manifests):
        assert manifest["status"] == "ok", manifest["error"]
        assert manifest["units"]["computed"] == sum(unit_owner(u) == i for u in range(UNITS)) > 0
        assert manifest["units"]["skipped"] == UNITS - manifest["units"]["computed"]
        assert manifest["units"]["read"] == 0, "a fresh cache: nothing read"
        assert manifest["parameters"] == {"scale": 3}
        assert manifest["shard"] == [i, 2]
        assert all(owner == 1 - i for owner in manifest["skipped"].values())
    # the shard that did not own every unit of the reading loop passed over some iterations
    assert sum(m["cells"]["loop iterations passed over"] for m in manifests) == UNITS - 10

    half = tmp_path / "half"  # one shard merged: the other's units wait for its pack
    (state,) = left_out([merge_pack(tmp_path / "pack0.tar", root=half).manifest], half).values()
    assert state["units"] == [] and len(state["pending"]) == manifests[0]["units"]["skipped"] > 0

    merged = tmp_path / "merged"
    reports = [merge_pack(tmp_path / f"pack{i}.tar", root=merged) for i in range(2)]
    assert sum(len(r.added) for r in reports) == UNITS
    groups = left_out([r.manifest for r in reports], merged)
    assert [(state["units"], state["pending"]) for state in groups.values()] == [([], [])]

    full = run(chapter, "0/1", merged, parameters={"scale": 3}, workdir=tmp_path / "work")
    assert calls(call_log) == computed, "nothing computed again"
    assert full["status"] == "ok" and full["units"]["read"] == UNITS
    assert full["cells"]["passed over"] == [] and not full["entries"]
    out = json.loads((tmp_path / "work" / "out.json").read_text())
    assert out["total"] == 3 * 3 * sum(range(10)), "the parameter was set"
    assert out["seconds"] == [3.0 * i for i in range(10, 16)]

    check = run(chapter, Shard(None, 1), merged, parameters={"scale": 3})
    assert check["missing"] == [] and check["units"]["read"] == UNITS
    other = run(chapter, Shard(None, 1), merged, parameters={"scale": 4})
    assert len(other["missing"]) == UNITS and calls(call_log) == computed


def test_a_unit_already_in_the_cache_is_not_packed_again(tmp_path, call_log):
    chapter = write_chapter(tmp_path)
    first = run(chapter, "0/2", tmp_path / "cache", output=tmp_path / "a.tar")
    again = run(chapter, "0/2", tmp_path / "cache", output=tmp_path / "b.tar")
    assert first["units"]["computed"] > 0
    assert again["units"]["computed"] == 0 and again["units"]["read"] == first["units"]["computed"]
    assert read_manifest(tmp_path / "b.tar")["entries"] == {}
    with tarfile.open(tmp_path / "b.tar") as tar:
        assert tar.getnames() == [MANIFEST]


def test_a_machine_without_ipython_runs_the_chapter(tmp_path, call_log, monkeypatch):
    """The chapter's `from IPython.display import ...` gets a stand-in; the libraries it uses
    (matplotlib probes sys.modules for IPython) see no IPython, as on a bare GPU machine."""
    monkeypatch.setitem(sys.modules, "IPython", None)  # `import IPython` fails
    with pytest.raises(ImportError):
        import IPython  # noqa: F401
    manifest = run(write_chapter(tmp_path), "0/1", tmp_path / "cache", workdir=tmp_path / "w")
    assert manifest["status"] == "ok", manifest["error"]
    assert manifest["cells"]["passed over"] == []
    assert (tmp_path / "w" / "out.json").exists()
    assert sys.modules["IPython"] is None


def test_profile_and_unknown_parameters(tmp_path, call_log):
    chapter = write_chapter(tmp_path)
    manifest = run(chapter, "0/1", tmp_path / "cache", profile="gpu", workdir=tmp_path / "w")
    assert json.loads((tmp_path / "w" / "out.json").read_text())["total"] == 5 * 3 * sum(range(10))
    assert manifest["parameters"] == {"profile": "gpu"}
    bad = run(chapter, "0/1", tmp_path / "cache", parameters={"scael": 2})
    assert bad["status"] == "failed" and "unknown parameter(s) ['scael']" in bad["error"]


LAST_CELL = "# %%\nimport matplotlib.pyplot as plt\n"
DEPENDENT = CHAPTER.replace(LAST_CELL, '''# %%
def finish(i):
    return units[i]["value"] * 10


doubled = {i: cached({"chapter": "tiny", "experiment": "finish", "i": i},
                     lambda i=i: finish(i)) for i in range(10)}

''' + LAST_CELL)
assert DEPENDENT != CHAPTER


def test_a_unit_that_needs_another_shards_unit_waits_for_a_second_round(tmp_path, call_log):
    chapter = write_chapter(tmp_path, DEPENDENT)
    packs = [tmp_path / f"round1-{i}.tar" for i in range(2)]
    first = [run(chapter, f"{i}/2", tmp_path / f"cache{i}", output=packs[i]) for i in range(2)]
    blocked = sum(m["units"]["blocked"] for m in first)
    assert blocked > 0 and all(m["status"] == "ok" for m in first)
    shared = tmp_path / "shared"
    reports = [merge_pack(pack, root=shared) for pack in packs]
    (state,) = left_out([r.manifest for r in reports], shared).values()
    assert len(state["units"]) == blocked and state["shards"] == {0, 1}
    left = tmp_path / "left.json"  # what the workflow's next round is planned from
    assert shard_main(["--root", str(tmp_path / "plan1"), "merge", *map(str, packs),
                       "--left", str(left)]) == 0
    assert json.loads(left.read_text()) == ["tiny"]
    # round 2: each shard starts from the merged cache (carried to its machine)
    second = [run(chapter, f"{i}/2", shared, output=tmp_path / f"round2-{i}.tar")
              for i in range(2)]
    assert shard_main(["--root", str(tmp_path / "plan2"), "merge", *map(str, packs),
                       str(tmp_path / "round2-0.tar"), str(tmp_path / "round2-1.tar"),
                       "--left", str(left)]) == 0
    assert json.loads(left.read_text()) == [], "nothing left after the second round"
    assert sum(m["units"]["computed"] for m in second) == blocked
    assert sum(m["units"]["blocked"] for m in second) == 0
    assert sorted(calls(call_log)) == list(range(UNITS)), "base units computed once"
    full = run(chapter, Shard(None, 1), shared)
    assert full["missing"] == [] and full["status"] == "ok"


CATCHES = '''\
# %%
import numpy as np

from infolib.cache import cached

base = {i: cached({"chapter": "catches", "experiment": "base", "i": i},
                  lambda i=i: np.array([10.0 + i])) for i in range(4)}


def summary():
    total = 0.0
    for i in range(4):
        try:
            total += float(base[i][0])
        except RuntimeError:  # a unit that skips a failed run
            pass
    return total


result = cached({"chapter": "catches", "experiment": "summary"}, summary)
'''


def test_a_unit_that_catches_the_refusal_is_blocked_not_stored(tmp_path):
    """Its value would lack the other shard's part: it is left for a second round."""
    chapter = write_chapter(tmp_path, CATCHES, name="catches.py")
    owners = [Shard(0, 2).owner(canonical_key({"chapter": "catches", "experiment": "base",
                                                "i": i})) for i in range(4)]
    summary = Shard(0, 2).owner(canonical_key({"chapter": "catches", "experiment": "summary"}))
    assert set(owners) == {0, 1}, "the summary needs a unit of the other shard"
    packs = [tmp_path / f"p{i}.tar" for i in range(2)]
    first = [run(chapter, f"{i}/2", tmp_path / f"cache{i}", output=packs[i]) for i in range(2)]
    assert first[summary]["units"]["blocked"] == 1, "the caught refusal blocks the summary"
    assert first[summary]["units"]["computed"] == owners.count(summary)
    shared = tmp_path / "shared"
    for pack in packs:
        merge_pack(pack, root=shared)
    second = run(chapter, f"{summary}/2", shared)
    assert second["units"]["computed"] == 1 and second["units"]["blocked"] == 0
    (entry,) = second["entries"]
    value = read_entry(shared / entry, canonical_key({"chapter": "catches",
                                                      "experiment": "summary"}))
    assert value == sum(10.0 + i for i in range(4))


UNREACHED = '''\
# %%
from infolib.cache import cached

scores = {lr: cached({"chapter": "unreached", "experiment": "search", "lr": lr},
                     lambda lr=lr: float(lr * 10 % 7)) for lr in (1, 2, 3, 4)}

# %%
best = max(scores, key=lambda lr: float(scores[lr]))  # a stand-in here: the cell is passed over

# %%
finals = [cached({"chapter": "unreached", "experiment": "final", "lr": best, "seed": seed},
                 lambda seed=seed: best * seed) for seed in range(3)]
'''


def test_units_after_a_passed_over_cell_bring_another_round(tmp_path, capsys):
    """No shard meets the final units in round 1 (they need the best of all shards' searches):
    --left must plan a round for the chapter, though every unit a shard met is in the cache."""
    chapter = write_chapter(tmp_path, UNREACHED, name="unreached.py")
    owners = {Shard(0, 2).owner(canonical_key({"chapter": "unreached", "experiment": "search",
                                               "lr": lr})) for lr in (1, 2, 3, 4)}
    assert owners == {0, 1}, "each shard lacks a score"
    shared, left = tmp_path / "shared", tmp_path / "left.json"
    packs = [tmp_path / f"r1-{i}.tar" for i in range(2)]
    first = [run(chapter, f"{i}/2", tmp_path / f"cache{i}", output=packs[i]) for i in range(2)]
    assert all(m["status"] == "ok" and m["cells"]["passed over"] for m in first)
    assert all(m["units"]["computed"] + m["units"]["skipped"] == 4 and not m["blocked"]
               for m in first), "each shard met the 4 searches, and none of the finals"
    assert shard_main(["--root", str(shared), "merge", *map(str, packs), "--left",
                       str(left)]) == 0
    assert json.loads(left.read_text()) == ["unreached"]
    assert "passed over cells" in capsys.readouterr().out
    assert run(chapter, Shard(None, 1), shared)["missing"], "the check finds them too"
    packs += [tmp_path / f"r2-{i}.tar" for i in range(2)]
    for i in range(2):
        run(chapter, f"{i}/2", shared, output=packs[2 + i])
    assert shard_main(["--root", str(tmp_path / "plan"), "merge", *map(str, packs), "--left",
                       str(left)]) == 0
    assert json.loads(left.read_text()) == [], "round 2 reached and computed the finals"
    assert run(chapter, Shard(None, 1), tmp_path / "plan")["missing"] == []


def test_an_error_before_any_stand_in_fails_the_shard(tmp_path, call_log):
    text = CHAPTER.replace("PROFILES = {", "1 / 0\nPROFILES = {")
    chapter = write_chapter(tmp_path, text)
    manifest = run(chapter, "0/2", tmp_path / "cache", output=tmp_path / "pack.tar")
    assert manifest["status"] == "failed"
    cell = text.splitlines().index("import json") + 1
    assert "ZeroDivisionError" in manifest["error"] and f"(line {cell})" in manifest["error"]
    assert read_manifest(tmp_path / "pack.tar")["status"] == "failed"


def test_an_error_in_a_unit_fails_the_shard_and_keeps_what_it_finished(tmp_path, call_log):
    failing = next(i for i in range(5, 10) if unit_owner(i) == unit_owner(0))
    shard = unit_owner(0)
    text = CHAPTER.replace("    return {\"value\"", f"    if i == {failing}:\n"
                           "        raise ValueError('diverged')\n    return {\"value\"")
    chapter = write_chapter(tmp_path, text)
    manifest = run(chapter, f"{shard}/2", tmp_path / "cache", output=tmp_path / "pack.tar")
    assert manifest["status"] == "failed" and "ValueError: diverged" in manifest["error"]
    finished = [i for i in range(failing) if unit_owner(i) == shard]
    assert manifest["units"]["computed"] == len(finished) > 0
    assert len(read_manifest(tmp_path / "pack.tar")["entries"]) == len(finished)
    assert shard_main(["--root", str(tmp_path / "merged"), "merge", str(tmp_path / "pack.tar"),
                       "--left", str(tmp_path / "left.json")]) == 0
    assert json.loads((tmp_path / "left.json").read_text()) == ["tiny"], "a failed shard: again"


def test_a_unit_computed_but_not_stored_is_listed_and_left_for_another_round(
        tmp_path, call_log, monkeypatch, capsys):
    """A write that fails (the GPU machine's disk full) loses the unit: merge must say so."""
    import infolib.cache as cache_module

    real = cache_module.write_entry

    def write_entry(path, canonical, value, issued=()):
        if json.loads(canonical)["i"] == 5:
            raise OSError(28, "No space left on device")
        return real(path, canonical, value, issued)

    monkeypatch.setattr(cache_module, "write_entry", write_entry)
    chapter, pack, left = write_chapter(tmp_path), tmp_path / "full.tar", tmp_path / "left.json"
    with pytest.warns(cache_module.CacheWarning, match="No space left"):
        assert shard_main(["--root", str(tmp_path / "cache"), "run", str(chapter), "--shard",
                           "0/1", "-o", str(pack)]) == 0
    assert "computed but not stored (the write failed) 1," in capsys.readouterr().out
    manifest = read_manifest(pack)
    (lost,) = manifest["not_stored"]
    assert manifest["units"]["not stored"] == 1 and lost not in manifest["entries"]
    monkeypatch.setattr(cache_module, "write_entry", real)
    assert shard_main(["--root", str(tmp_path / "merged"), "merge", str(pack),
                       "--left", str(left)]) == 0
    assert "1 units met by a shard but not in the cache" in capsys.readouterr().out
    assert json.loads(left.read_text()) == ["tiny"], "another round computes it"
    (state,) = left_out([manifest], tmp_path / "merged").values()
    assert state["units"] == [lost]


def test_a_time_limit_leaves_the_units_not_started_for_a_second_round(tmp_path, call_log):
    chapter = write_chapter(tmp_path)
    manifest = run(chapter, "0/2", tmp_path / "cache", output=tmp_path / "late.tar",
                   time_limit=0)
    own = sum(unit_owner(i) == 0 for i in range(UNITS))
    assert manifest["status"] == "ok" and calls(call_log) == []
    assert manifest["units"]["deferred"] == own and manifest["units"]["computed"] == 0
    assert sum(owner == 0 for owner in manifest["skipped"].values()) == own
    report = merge_pack(tmp_path / "late.tar", root=tmp_path / "merged")
    (state,) = left_out([report.manifest], tmp_path / "merged").values()
    assert len(state["units"]) == own, "merge says they are still to compute"
    assert len(state["pending"]) == UNITS - own, "and that shard 1's wait for its pack"


def test_only_computes_the_units_whose_key_matches(tmp_path, call_log):
    chapter = write_chapter(tmp_path)
    wanted = {3, 12}  # one unit read at once, one inside the loop
    manifest = run(chapter, "0/1", tmp_path / "cache", output=tmp_path / "only.tar",
                   only=parse_only([f"i={i},experiment=units" for i in sorted(wanted)]))
    assert manifest["status"] == "ok" and sorted(calls(call_log)) == sorted(wanted)
    assert manifest["units"]["computed"] == 2 and manifest["units"]["excluded"] == UNITS - 2
    assert manifest["only"] == [{"i": "3", "experiment": "units"},
                                {"i": "12", "experiment": "units"}]
    report = merge_pack(tmp_path / "only.tar", root=tmp_path / "merged")
    (state,) = left_out([report.manifest], tmp_path / "merged").values()
    assert len(state["units"]) == UNITS - 2, "merge says the others are still to compute"
    # a second run without --only on the merged cache computes the rest, and only the rest
    call_log.unlink()
    rest = run(chapter, "0/1", tmp_path / "merged")
    assert rest["units"]["computed"] == UNITS - 2 and set(calls(call_log)) == (
        set(range(UNITS)) - wanted)


NESTED = '''\
# %%
import os
import re

from infolib.cache import cached


def log(name):
    with open(os.environ["CALLS_LOG"], "a") as calls:
        calls.write(name + "\\n")


def decoder(features):  # an upstream unit that a training unit calls
    key = {"chapter": "nested", "experiment": "decoder", "features": features}
    return cached(key, lambda: log(f"decoder{features}") or features * 2.0)


def train(network):
    log(network)
    return decoder(len(network)) + 1.0


result = {network: cached({"chapter": "nested", "experiment": "train", "network": network},
                          lambda network=network: train(network))
          for network in ("wide", "narrow")}
'''


def test_a_unit_a_running_unit_asks_for_is_computed_past_only_and_the_time_limit(
        tmp_path, call_log, monkeypatch):
    """A selected unit's upstream unit is part of its work: --only, which the upstream key does
    not match, and a time limit that passed while the unit ran do not block it (they did: the
    finished work was thrown away in every round)."""
    chapter = write_chapter(tmp_path, NESTED, name="nested.py")
    selected = run(chapter, "0/1", tmp_path / "only", only=parse_only(["network=wide"]))
    assert selected["status"] == "ok" and selected["blocked"] == []
    assert call_log.read_text().split() == ["wide", "decoder4"]
    assert selected["units"]["computed"] == 2 and selected["units"]["excluded"] == 1

    call_log.unlink()
    # the deadline is tick 1 + 1.5: "wide" starts at tick 2, asks for its decoder at tick 3,
    # and "narrow" would start at tick 4
    with ticking_clock(monkeypatch):
        late = run(chapter, "0/1", tmp_path / "late", time_limit=1.5)
    assert late["status"] == "ok" and late["blocked"] == []
    assert call_log.read_text().split() == ["wide", "decoder4"]
    assert late["units"]["computed"] == 2 and late["units"]["deferred"] == 1


def test_only_compares_numbers_as_numbers_and_reports_a_filter_that_matches_nothing(
        tmp_path, call_log, capsys):
    chapter = write_chapter(tmp_path)
    cache, pack = tmp_path / "cache", tmp_path / "only.tar"
    manifest = run(chapter, "0/1", cache, only=parse_only(["i=3.0", "i=1e1", "experiment=unit"]))
    assert sorted(calls(call_log)) == [3, 10], "3.0 is the key's 3, 1e1 its 10"
    assert manifest["only_unmatched"] == [{"experiment": "unit"}]
    # the command line says so, and exits with status 1
    status = shard_main(["--root", str(cache), "run", str(chapter), "--shard", "0/2",
                         "--only", "experiment=unit", "--only", "i=3", "-o", str(pack)])
    out = capsys.readouterr().out
    assert status == 1 and "warning: --only experiment=unit matched the key of no unit" in out
    assert "--only i=3 " not in out, "i=3 matches a unit (of either shard, read or computed)"
    assert read_manifest(pack)["status"] == "ok", "the pack is still written"
    # a filter that matches only units already in the cache matched a unit
    again = run(chapter, "0/1", cache, only=parse_only(["i=3"]))
    assert again["units"]["computed"] == 0 and again["only_unmatched"] == []


SEGMENTED = '''\
# %% tags=["parameters"]
profile = "cpu"

# %%
import os
import re

import torch

from infolib.cache import cached
from infolib.models import mlp
from infolib.train import fit_in_segments

x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
y = (x[:, 0] > 0).long()
ARGUMENTS = dict(batch_size=16, lr=0.1, momentum=0.9, seed=1, progress=False)


def build():
    return mlp(2, (4,), 2, seed=0)


def logged(epoch, model):
    with open(os.environ["CALLS_LOG"], "a") as log:
        log.write(f"{epoch}\\n")
    return epoch


def train(key):
    model, epochs = fit_in_segments(key, build, x, y, epochs=3, segment_epochs=1,
                                    callback=logged, device="cpu", **ARGUMENTS)
    return {"weights": torch.nn.utils.parameters_to_vector(model.parameters()).detach(),
            "epochs": epochs}


KEY = {"chapter": "segmented", "run": 0, "profile": profile}
result = cached(KEY, lambda: train(KEY))
'''
SEGMENTED_KEY = {"chapter": "segmented", "run": 0, "profile": "cpu"}


def test_a_shard_continues_a_training_in_segments_in_the_next_round(tmp_path, call_log,
                                                                   monkeypatch):
    """The segments of a training are in the shard of the unit that trains; a shard stopped by
    its time limit after two of three segments leaves the third, and only the third, to the next
    round, which ends with the weights of one uninterrupted training."""
    for count in (2, 3, 5):
        owner = Shard(0, count).owner(canonical_key(SEGMENTED_KEY))
        for epochs in (1, 2, 3):
            segment = {"chapter": "segmented", "segment_of": SEGMENTED_KEY, "part": "training",
                       "epochs": epochs}
            assert Shard(0, count).owner(canonical_key(segment)) == owner
    chapter = write_chapter(tmp_path, SEGMENTED, name="segmented.py")
    shard = Shard(0, 2).owner(canonical_key(SEGMENTED_KEY))
    other = run(chapter, f"{1 - shard}/2", tmp_path / "other", output=tmp_path / "other.tar")
    assert other["units"]["computed"] == 0 and calls(call_log) == []

    # the deadline is tick 1 + 3.5; the unit, then segments 1 and 2 start at ticks 2, 3, 4
    with ticking_clock(monkeypatch):
        first = run(chapter, f"{shard}/2", tmp_path / "cache", output=tmp_path / "round1.tar",
                    time_limit=3.5)
    assert first["status"] == "ok" and first["units"]["computed"] == 2
    assert first["units"]["blocked"] == 1 and calls(call_log) == [0, 1, 2]
    shared = tmp_path / "shared"
    report = merge_pack(tmp_path / "round1.tar", root=shared)
    (state,) = left_out([report.manifest], shared).values()
    assert len(state["units"]) == 2, "the unit and its last segment are still to compute"

    second = run(chapter, f"{shard}/2", shared, output=tmp_path / "round2.tar")
    assert second["units"]["computed"] == 2 and second["units"]["blocked"] == 0
    assert calls(call_log) == [0, 1, 2, 3], "round 2 trained the last epoch only"
    # the unit is finished: its last segment, which no later run reads, is not packed
    assert second["units"]["segments not packed"] == 1
    (packed,) = read_manifest(tmp_path / "round2.tar")["entries"]
    assert stored_value(shared / packed) is not None, "the one entry packed is the unit's"
    merge_pack(tmp_path / "round2.tar", root=shared)
    # where only the packs meet (the gpu book's job): the unit is done, and its last segment,
    # left out of round 2's pack, is not a unit still to compute
    book = tmp_path / "book"
    reports = [merge_pack(tmp_path / f"round{i}.tar", root=book) for i in (1, 2)]
    (state,) = left_out([report.manifest for report in reports], book).values()
    assert state["units"] == [] and state["pending"] == []
    (value,) = [entry for entry in map(stored_value, (shared / "segmented").glob("*.npz"))
                if entry is not None]

    import torch

    from infolib.models import mlp
    from infolib.train import fit

    model = mlp(2, (4,), 2, seed=0)  # the same training in one go
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    fit(model, x, (x[:, 0] > 0).long(), epochs=3, batch_size=16, lr=0.1, momentum=0.9, seed=1,
        progress=False, device="cpu")
    assert torch.equal(value["weights"],
                       torch.nn.utils.parameters_to_vector(model.parameters()).detach())
    assert value["epochs"] == [0, 1, 2, 3]

    # --only selects a unit's segments with it
    selected = run(chapter, "0/1", tmp_path / "only", only=parse_only(["run=0"]))
    assert selected["units"]["computed"] == 4 and selected["units"]["excluded"] == 0
    assert selected["units"]["segments not packed"] == 3 and len(selected["entries"]) == 1
    none = run(chapter, "0/1", tmp_path / "none", only=parse_only(["run=1"]))
    assert none["units"]["computed"] == 0 and none["units"]["excluded"] == 1


def stored_value(path):
    """The value of the segmented chapter's unit if ``path`` holds it, else None."""
    try:
        return read_entry(path, canonical_key(SEGMENTED_KEY))
    except ValueError:
        return None


@pytest.mark.parametrize("text", ["i", "=3", "i=3,", "i=3,profile"])
def test_only_refuses_a_malformed_filter(text):
    with pytest.raises(ValueError, match="field=value"):
        parse_only([text])


def test_sigterm_packs_what_was_finished(tmp_path):
    """A session whose time runs out (SIGTERM) still brings back the units it finished."""
    text = CHAPTER.replace("    return {\"value\"", "    if i == 1:\n"
                           "        Path(os.environ['CALLS_LOG']).with_name('busy').touch()\n"
                           "        import time; time.sleep(60)\n    return {\"value\"")
    chapter = write_chapter(tmp_path, text)
    environment = {**os.environ, "CALLS_LOG": str(tmp_path / "calls.txt"),
                   "INFOLIB_CACHE": str(tmp_path / "cache")}
    process = subprocess.Popen([sys.executable, "-m", "infolib.shard", "run", str(chapter),
                                "--shard", "0/1", "-o", str(tmp_path / "p.tar")], cwd=ROOT,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        for _ in range(600):
            if (tmp_path / "busy").exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 1, err
    assert "failed" in out and "interrupted" in out
    manifest = read_manifest(tmp_path / "p.tar")
    assert manifest["error"] == "interrupted" and len(manifest["entries"]) == 1


def test_a_sigterm_while_the_pack_is_written_waits_till_it_is_written(tmp_path):
    """A SIGTERM that comes while the pack is written (a chapter that ends just before the
    session's STOP) no longer kills the shard before its pack exists: the pack is written, then
    the process ends as the signal asks."""
    chapter = write_chapter(tmp_path)
    script = textwrap.dedent(f"""
        import os, signal, sys
        import infolib.shard as shard
        write = shard.write_pack
        def write_pack(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGTERM)  # the signal arrives as the pack is written
            return write(*args, **kwargs)
        shard.write_pack = write_pack
        sys.argv = ["shard", "run", {str(chapter)!r}, "--shard", "0/1", "-o",
                    {str(tmp_path / "p.tar")!r}]
        shard.main()
        """)
    environment = {**os.environ, "CALLS_LOG": str(tmp_path / "calls.txt"),
                   "INFOLIB_CACHE": str(tmp_path / "cache")}
    process = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment,
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == -signal.SIGTERM, process.stderr
    manifest = read_manifest(tmp_path / "p.tar")
    assert manifest["status"] == "ok" and len(manifest["entries"]) == UNITS


def test_stand_in_absorbs_structure_and_refuses_values():
    stand_in = StandIn("tiny/x.npz", 1)
    assert stand_in["a"][0].b(3) + 1 is stand_in
    assert np.arange(3) * stand_in is stand_in
    # not an empty array: np.concatenate([x, unit]) would be x, the data in part
    import torch

    # no items either: dict(n=1, **unit) would be a row without the unit's data, and a loop
    # over the unit's items would skip them without a word
    for use in (float, int, bool, lambda s: "a" in s, lambda s: range(s), round, len,
                dict, lambda s: dict(n=1, **s), list, lambda s: [*s], sorted, iter,
                np.asarray, lambda s: np.concatenate([np.ones(2), s]),
                lambda s: np.array([s, s]), lambda s: np.stack([np.ones(2), s]),
                torch.as_tensor, torch.tensor, lambda s: torch.tensor([s, s]),
                lambda s: s.__array_interface__, lambda s: s.__cuda_array_interface__,
                lambda s: s.__array_struct__):
        with pytest.raises(UnitInAnotherShard, match="shard 1"):
            use(stand_in)
    assert "tiny/x.npz" in f"{stand_in}" and "shard 1" in repr(stand_in)
    with pytest.raises(AttributeError):
        stand_in._repr_html_  # noqa: B018


# --- merging: what is refused -----------------------------------------------------------------

@pytest.fixture
def good_pack(tmp_path, call_log):
    """(pack path, manifest, {member name: bytes}) of a real shard's pack."""
    pack = tmp_path / "good.tar"
    run(write_chapter(tmp_path), "0/1", tmp_path / "cache", output=pack)
    with tarfile.open(pack) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    return pack, json.loads(members.pop(MANIFEST)), members


def build_pack(path, manifest, members, extra=()):
    with tarfile.open(path, "w") as tar:
        for name, data in [(MANIFEST, json.dumps(manifest).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return path


def pickled_entry():
    """An entry whose array member can only be read with pickle."""
    buffer = io.BytesIO()
    meta = {"format": 2, "key": json.dumps({"chapter": "tiny"}), "value": {"array": "a0"}}
    np.savez(buffer, __entry__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
             a0=np.array([{"x": 1}], dtype=object))
    return buffer.getvalue()


def test_a_good_pack_merges_and_reads_back(tmp_path, good_pack):
    pack, manifest, members = good_pack
    report = merge_pack(pack, root=tmp_path / "merged")
    assert len(report.added) == UNITS and not report.kept
    for name in members:
        entry = tmp_path / "merged" / name.removeprefix("entries/")
        with np.load(entry, allow_pickle=False) as data:
            key = json.loads(data["__entry__"].tobytes().decode())["key"]
        assert read_entry(entry, key)["value"].shape == (3,)
    again = merge_pack(pack, root=tmp_path / "merged")
    assert len(again.present) == UNITS and not again.added


def test_an_entry_that_differs_is_kept_unless_replace(tmp_path, good_pack):
    pack, _, members = good_pack
    root = tmp_path / "merged"
    merge_pack(pack, root=root)
    first, second = sorted(members)[:2]
    target = root / first.removeprefix("entries/")
    shutil.copy(root / second.removeprefix("entries/"), target)
    changed = target.read_bytes()
    report = merge_pack(pack, root=root)
    assert report.kept == [first.removeprefix("entries/")] and target.read_bytes() == changed
    report = merge_pack(pack, root=root, replace=True)
    assert report.replaced == [first.removeprefix("entries/")]
    assert target.read_bytes() == members[first]


def _symlink(name):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return info


BAD_PACKS = {
    "path traversal": lambda m, e: (m, {**e, "entries/../../evil.npz": b"x"}, ()),
    "absolute path": lambda m, e: (m, {**e, "/tmp/evil.npz": b"x"}, ()),
    "a script": lambda m, e: (m, {**e, "entries/tiny/run.py": b"import os"}, ()),
    "a link": lambda m, e: (m, e, [_symlink("entries/tiny/" + "0" * 64 + ".npz")]),
    "an entry the manifest does not list": lambda m, e: (
        m, {**e, "entries/tiny/" + "1" * 64 + ".npz": next(iter(e.values()))}, ()),
    "a listed entry missing": lambda m, e: (m, dict(list(e.items())[1:]), ()),
    "a pickled entry": lambda m, e: (
        {**m, "entries": {**m["entries"], "tiny/" + "2" * 64 + ".npz": {}}},
        {**e, "entries/tiny/" + "2" * 64 + ".npz": pickled_entry()}, ()),
    "an entry filed under another chapter": lambda m, e: (
        {**m, "entries": {**m["entries"], "other/" + "3" * 64 + ".npz": {}}},
        {**e, "entries/other/" + "3" * 64 + ".npz": next(iter(e.values()))}, ()),
    "not an npz": lambda m, e: (
        {**m, "entries": {**m["entries"], "tiny/" + "4" * 64 + ".npz": {}}},
        {**e, "entries/tiny/" + "4" * 64 + ".npz": b"PK\x03\x04 not a zip"}, ()),
    "another pack format": lambda m, e: ({**m, "format": 99}, e, ()),
    "no shard in the manifest": lambda m, e: ({k: v for k, v in m.items() if k != "shard"}, e,
                                              ()),
    "a shard as text": lambda m, e: ({**m, "shard": "0/1"}, e, ()),
    "a shard beyond the count": lambda m, e: ({**m, "shard": [2, 2]}, e, ()),
    "parameters that are not a dict": lambda m, e: ({**m, "parameters": ["cpu"]}, e, ()),
}


@pytest.mark.parametrize("damage", list(BAD_PACKS))
def test_a_bad_pack_is_refused_whole(tmp_path, good_pack, damage):
    _, manifest, members = good_pack
    manifest, members, extra = BAD_PACKS[damage](manifest, members)
    pack = build_pack(tmp_path / "bad.tar", manifest, members, extra)
    root = tmp_path / "merged"
    with pytest.raises(BadPack):
        merge_pack(pack, root=root)
    assert not [p for p in root.rglob("*") if p.is_file()], "nothing merged"
    assert not (tmp_path / "evil.npz").exists()


def test_not_a_pack_is_refused(tmp_path):
    (tmp_path / "junk.tar").write_bytes(b"not a tar file at all" * 100)
    with pytest.raises(BadPack, match="not a readable tar"):
        merge_pack(tmp_path / "junk.tar", root=tmp_path / "merged")
    build_pack(tmp_path / "empty.tar", {}, {})
    with tarfile.open(tmp_path / "nomanifest.tar", "w"):
        pass
    with pytest.raises(BadPack, match=f"no {MANIFEST}"):
        merge_pack(tmp_path / "nomanifest.tar", root=tmp_path / "merged")


def damaged(pack, path, compress=False, cut=0.6, flip=False):
    """A copy of ``pack`` at ``path``: gzip-compressed or not, cut at a fraction of its bytes,
    or with bytes in its middle changed (a download cut short, a damaged artifact)."""
    data = pack.read_bytes()
    data = gzip.compress(data) if compress else data
    if flip:
        middle = len(data) // 2
        data = data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[
            middle + 64:]
    else:
        data = data[:int(len(data) * cut)]
    path.write_bytes(data)
    return path


def test_a_truncated_or_corrupt_pack_is_refused_and_the_next_packs_still_merge(
        tmp_path, good_pack, capsys):
    pack, _, members = good_pack
    bad = [damaged(pack, tmp_path / "cut.tar"),
           damaged(pack, tmp_path / "cut.tar.gz", compress=True),
           damaged(pack, tmp_path / "flipped.tar.gz", compress=True, flip=True)]
    for path in bad:
        # a cut pack is named as such; flipped bytes may instead surface as members that differ
        # from the manifest (the pack's content, and so where the damage falls, changes by run)
        cut = path.name.startswith("cut")
        with pytest.raises(BadPack, match="truncated or corrupt|not a readable tar" if cut
                           else None):
            merge_pack(path, root=tmp_path / "alone")
        with pytest.raises(BadPack):
            read_manifest(path)
    root = tmp_path / "merged"
    assert shard_main(["--root", str(root), "merge", *map(str, bad), str(pack)]) == 1
    out = capsys.readouterr().out
    assert out.count("REFUSED") == len(bad) and "good.tar: tiny shard 0/1" in out
    assert len(list(root.rglob("*.npz"))) == len(members), "the sound pack, listed last, merged"


def test_the_command_line(tmp_path, call_log, monkeypatch):
    chapter = write_chapter(tmp_path)
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / "cache"))
    command = [sys.executable, "-m", "infolib.shard"]
    out = subprocess.run([*command, "run", str(chapter), "--shard", "1/2", "-p", "scale", "3",
                          "-o", str(tmp_path / "p.tar.gz")], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "tiny shard 1/2: ok" in out.stdout
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / "merged"))
    out = subprocess.run([*command, "merge", str(tmp_path / "p.tar.gz")], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "shards not merged: [0]" in out.stdout
    out = subprocess.run([*command, "merge", str(tmp_path / "p.tar.gz"), "--left",
                          str(tmp_path / "left.json")], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and json.loads((tmp_path / "left.json").read_text()) == ["tiny"]
    out = subprocess.run([*command, "check", str(chapter), "-p", "scale", "3"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1 and f"{sum(unit_owner(i) == 0 for i in range(UNITS))} lacking" \
        in out.stdout
    out = subprocess.run([*command, "run", str(chapter), "--shard", "0/1", "-p", "scale", "3",
                          "--only", "i=4", "-o", str(tmp_path / "o.tar")], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0 and "units computed 1," in out.stdout
    assert f"left out by --only {UNITS - 1 - sum(unit_owner(i) == 1 for i in range(UNITS))}" \
        in out.stdout, out.stdout
    out = subprocess.run([*command, "run", str(chapter), "--shard", "0/1", "--only", "i",
                          "-o", str(tmp_path / "bad.tar")], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 2 and "field=value" in out.stderr


@pytest.mark.slow
def test_papermill_reads_what_the_shards_computed(tmp_path, call_log, monkeypatch):
    """The shard runner and papermill give the units the same entries (same code fingerprint):
    the book reads the merged packs without computing."""
    papermill = pytest.importorskip("papermill")
    jupytext = pytest.importorskip("jupytext")
    chapter = write_chapter(tmp_path)
    for i in range(2):
        run(chapter, f"{i}/2", tmp_path / f"cache{i}", output=tmp_path / f"p{i}.tar",
            profile="gpu")
        merge_pack(tmp_path / f"p{i}.tar", root=tmp_path / "merged")
    computed = calls(call_log)
    notebook = jupytext.read(chapter, fmt="py:percent")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    jupytext.write(notebook, tmp_path / "tiny.ipynb")
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path / "merged"))
    papermill.execute_notebook(str(tmp_path / "tiny.ipynb"), str(tmp_path / "out.ipynb"),
                               parameters={"profile": "gpu"}, cwd=str(tmp_path),
                               kernel_name="python3", progress_bar=False)
    assert calls(call_log) == computed, "papermill computed a unit the shards had computed"
    assert json.loads((tmp_path / "out.json").read_text())["total"] == 5 * 3 * sum(range(10))


EDITS_ITSELF = '''\
# %%
import os
import re
from pathlib import Path

from infolib.cache import cached


def work():
    return 1


# %%
chapter = Path(os.environ["CHAPTER_FILE"])
chapter.write_text(chapter.read_text().replace("return 1", "return 2"))

# %%
value = cached({"chapter": "edited", "unit": 1}, work)
'''


def test_a_chapter_edited_while_it_runs_keeps_the_running_codes_fingerprint(tmp_path,
                                                                           monkeypatch):
    """The unit ran `return 1`: its entry must not be the one of the edited `return 2`."""
    chapter = write_chapter(tmp_path, EDITS_ITSELF, name="edits.py")
    monkeypatch.setenv("CHAPTER_FILE", str(chapter))
    run(chapter, "0/1", tmp_path / "cache")
    assert "return 2" in chapter.read_text()
    edited = chapter.read_text().replace("chapter.write_text", "print")
    write_chapter(tmp_path, edited, name="edits.py")
    run(chapter, "0/1", tmp_path / "cache")  # the edited code: its own entry, not the first one
    entries = sorted((tmp_path / "cache" / "edited").glob("*.npz"))
    assert sorted(read_entry(path, canonical_key({"chapter": "edited", "unit": 1}))
                  for path in entries) == [1, 2]


# --- a merged cache holds what a whole run would: no unit computed from part of the data -------

LEAK = '''\
# %%
import pandas as pd
from infolib.cache import cached

units = {i: cached({"chapter": "leak", "experiment": "base", "i": i},
                   lambda i=i: {"score": float(i)}) for i in range(6)}
frame = pd.DataFrame([dict(i=i, **units[i]) for i in range(6)])  # another shard's: no items

# %%
summary = cached({"chapter": "leak", "experiment": "summary"},
                 lambda: float(frame["score"].mean()))
'''

STALE = '''\
# %%
import numpy as np
from infolib.cache import cached

base = {i: cached({"chapter": "stale", "experiment": "base", "i": i},
                  lambda i=i: np.array([float(i)])) for i in range(6)}
data = {"x": np.zeros(6)}  # a first version, rebound by the next cell

# %%
data = {"x": np.concatenate([base[i] for i in range(6)])}

# %%
summary = cached({"chapter": "stale", "experiment": "summary"}, lambda: float(data["x"].sum()))
'''

LAST_OF_LOOP = '''\
# %%
import numpy as np
from infolib.cache import cached

for i in range(5):  # the last base unit's shard (0) is not the summary's (1)
    base = cached({"chapter": "last", "experiment": "base", "i": i},
                  lambda i=i: np.array([float(i)]))
    last = {"x": np.asarray(base) * 10}

# %%
summary = cached({"chapter": "last", "experiment": "summary"}, lambda: float(last["x"][0]))
'''

APPENDED = '''\
# %%
import numpy as np
from infolib.cache import cached

rows = []
for i in range(6):
    base = cached({"chapter": "appended", "experiment": "base", "i": i},
                  lambda i=i: np.array([float(i)]))
    rows.append(float(np.asarray(base)[0]))

# %%
summary = cached({"chapter": "appended", "experiment": "summary"}, lambda: sum(rows))
'''

GRID = '''\
# %%
from infolib.cache import cached

# two lists of settings, computed by the two shards (units of shards 0 and 1)
widths = cached({"chapter": "grid", "experiment": "widths", "j": 0}, lambda: [16, 32])
rates = cached({"chapter": "grid", "experiment": "lrs", "j": 3}, lambda: [0.1, 0.01])

# %%
finals = {(w, lr): cached({"chapter": "grid", "experiment": "final", "width": w, "lr": lr},
                          lambda w=w, lr=lr: w * lr)
          for w in widths for lr in rates}  # no shard met them: each iterated the other's list
'''


def rounds_until_none_left(chapter, tmp_path, **options):
    """Two shards on their own caches, then rounds of both on the merged cache, until merge
    --left plans none (at most three rounds: each computes what the last one left); the merged
    cache."""
    merged, left, packs = tmp_path / "merged", tmp_path / "left.json", []
    for round_ in range(4):
        assert round_ < 3, "three rounds must do: each one computes what the last one left"
        for i in range(2):
            packs.append(tmp_path / f"round{round_}-{i}.tar")
            manifest = run(chapter, f"{i}/2", merged if round_ else tmp_path / f"cache{i}",
                           output=packs[-1], **options)
            assert manifest["status"] == "ok", manifest["error"]
        assert shard_main(["--root", str(merged), "merge", *map(str, packs), "--left",
                           str(left)]) == 0
        if json.loads(left.read_text()) == []:
            return merged


def stored_values(root):
    """{entry name: value} of every entry under ``root``."""
    values = {}
    for path in sorted(Path(root).glob("*/*.npz")):
        meta = entry_meta(path)
        values[f"{path.parent.name}/{path.name}"] = read_entry(path, meta["key"])
    return values


@pytest.mark.parametrize("text", [LEAK, STALE, LAST_OF_LOOP, APPENDED, GRID],
                         ids=["dict-of-a-unit", "a-rebound-name", "a-loop-variable",
                              "an-appended-list", "units-inside-units"])
def test_rounds_of_shards_leave_the_cache_a_whole_run_leaves(tmp_path, text):
    """Two shards, then the rounds merge --left plans, until it plans none: the merged cache has
    every entry of a whole run, each with the whole run's value. A stand-in that iterated as
    empty, a name a passed-over cell would have rebound, a loop variable or a list that a
    passed-over iteration left as it was: each put a unit computed from part of the data into
    the cache (2.5 read as 3.0, 15 as 0), or left units that no shard met while --left said none
    were left."""
    name = re.search(r'"chapter": "(\w+)"', text).group(1)
    chapter = write_chapter(tmp_path, text, name=f"{name}.py")
    run(chapter, "0/1", tmp_path / "whole")
    merged = rounds_until_none_left(chapter, tmp_path)
    whole, shards = stored_values(tmp_path / "whole"), stored_values(merged)
    assert whole.keys() == shards.keys() and len(whole) >= 6
    np.testing.assert_equal(as_numpy(shards), as_numpy(whole))


def test_a_passed_over_cell_that_used_no_stand_in_is_flagged(tmp_path, capsys):
    text = STALE.replace('data = {"x": np.concatenate',
                         'undefined_name  # a bug\ndata = {"x": np.concatenate')
    chapter = write_chapter(tmp_path, text, name="stale.py")
    logged = []
    manifest = run_shard(chapter, Shard(0, 2), output=None, root=tmp_path / "cache",
                         log=logged.append)
    cells = {cell["cell"]: cell for cell in manifest["cells"]["passed over"]}
    assert cells[2]["used a stand-in"] is False and "NameError" in cells[2]["error"]
    assert all(cell["used a stand-in"] for number, cell in cells.items() if number != 2)
    assert any("used no stand-in itself" in line for line in logged)


def test_a_blocked_unit_met_again_is_not_computed_again(tmp_path, call_log):
    text = '''\
    # %%
    import os

    import numpy as np
    from infolib.cache import cached

    base = {i: cached({"chapter": "reblock", "experiment": "base", "i": i},
                      lambda i=i: np.array([float(i)])) for i in range(6)}

    def expensive():
        with open(os.environ["CALLS_LOG"], "a") as log:
            log.write("99\\n")  # a long training, then the need of another shard's unit
        return sum(float(base[i][0]) for i in range(6))

    first = cached({"chapter": "reblock", "experiment": "summary"}, expensive)

    # %%
    again = cached({"chapter": "reblock", "experiment": "summary"}, expensive)
    '''
    chapter = write_chapter(tmp_path, text, name="reblock.py")
    summary = canonical_key({"chapter": "reblock", "experiment": "summary"})
    shard = Shard(0, 2).owner(summary)
    manifest = run(chapter, f"{shard}/2", tmp_path / "cache")
    assert calls(call_log) == [99] and manifest["units"]["blocked"] == 1


def made_manifest(shard, **fields):
    """A pack's manifest, as left_out reads it, of a run that met every unit and had it."""
    return {"chapter": "plan", "parameters": {"profile": "gpu"}, "shard": shard, "status": "ok",
            "started": "2026-11-29T06:00:00+0000", "source_sha256": "a", "commit": "c",
            "cells": {"passed over": [], "loop iterations passed over": 0}, "skipped": {},
            "missing": [], "blocked": [], "not_stored": [], **fields}


PASSED_OVER = {"cells": {"passed over": [{"cell": 3}], "loop iterations passed over": 0}}


def test_only_a_whole_run_of_the_same_chapter_version_and_profile_vouches_for_passed_over_cells(
        tmp_path):
    """A pack that ran the whole chapter vouches that no unit was left unreached, but only for
    packs of its own chapter version, commit and parameters; a pack with a stand-in (a unit of
    another shard) did not run it whole."""
    gpu = [made_manifest([i, 2], **PASSED_OVER) for i in range(2)]

    def passed_over(manifests):
        groups = left_out(manifests, tmp_path)
        return sorted((key[1], key[3], state["passed_over"]) for key, state in groups.items())

    assert passed_over(gpu) == [('{"profile": "gpu"}', "a", [0, 1])]
    assert passed_over(gpu + [made_manifest([0, 2])]) == [('{"profile": "gpu"}', "a", [])]
    for other in (dict(parameters={"profile": "smoke"}), dict(source_sha256="b"),
                  dict(commit="d")):
        groups = passed_over(gpu + [made_manifest([0, 2], **other)])
        assert ('{"profile": "gpu"}', "a", [0, 1]) in groups, other
    # shard 0's latest pack passed over nothing but left a unit to shard 1: not a whole run
    stand_in = made_manifest([0, 2], skipped={"plan/x.npz": 1})
    assert passed_over(gpu + [stand_in]) == [('{"profile": "gpu"}', "a", [1])]


def test_the_latest_pack_of_a_shard_is_the_last_started_whatever_the_order(tmp_path):
    first = [made_manifest([i, 2], **PASSED_OVER) for i in range(2)]
    second = [made_manifest([i, 2], started="2026-11-29T07:00:00+0000") for i in range(2)]
    for manifests in (first + second, second + first):
        (state,) = left_out(manifests, tmp_path).values()
        assert state["passed_over"] == []
    # two rounds started within one second: the manifest's microseconds tell them apart
    earlier = [made_manifest([i, 2], started="2026-11-29T07:00:00.000001+00:00")
               for i in range(2)]
    later = [made_manifest([i, 2], **PASSED_OVER, started="2026-11-29T07:00:00.000002+00:00")
             for i in range(2)]
    for manifests in (earlier + later, later + earlier):
        (state,) = left_out(manifests, tmp_path).values()
        assert state["passed_over"] == [0, 1]


LOOP_FAILURE = '''\
# %%
from infolib.cache import cached


def final(i):
    if i == FAILING:
        raise ValueError("diverged")
    return float(i)


for i in range(8):
    base = cached({"chapter": "loopfail", "experiment": "base", "i": i}, lambda i=i: float(i))
    result = cached({"chapter": "loopfail", "experiment": "final", "i": i}, lambda i=i: final(i))
'''


def test_a_unit_that_fails_in_a_loop_iteration_with_a_stand_in_fails_the_shard(tmp_path):
    """An iteration that received a stand-in is passed over, but not when a unit of this shard
    raised in it: that is the chapter's error, not another shard's unit missing."""
    def owner(experiment, i):
        return Shard(0, 2).owner(canonical_key({"chapter": "loopfail", "experiment": experiment,
                                                "i": i}))

    shard, failing = next((s, i) for s in range(2) for i in range(8)
                          if owner("final", i) == s and owner("base", i) != s)
    chapter = write_chapter(tmp_path, LOOP_FAILURE.replace("FAILING", str(failing)),
                            name="loopfail.py")
    manifest = run(chapter, f"{shard}/2", tmp_path / "cache")
    assert manifest["status"] == "failed" and "ValueError: diverged" in manifest["error"]


def test_check_says_when_units_could_not_be_named(tmp_path, capsys):
    """On an empty cache the summary of APPENDED cannot be named (its entry depends on the base
    units' values): check lists the base units and says more are lacking, unnamed."""
    chapter = write_chapter(tmp_path, APPENDED, name="appended.py")
    assert shard_main(["--root", str(tmp_path / "cache"), "check", str(chapter)]) == 1
    out = capsys.readouterr().out
    assert "0 units in the cache, 6 lacking" in out and "unnamed till those are" in out


def test_units_a_whole_run_never_meets_are_not_left_once_a_shard_ran_it_whole(tmp_path, capsys):
    """A loop over groups of seeds stops once a group is good enough. The shard that lacks the
    first group cannot tell and goes on to the next group, whose unit (of the other shard) a
    whole run never needs; the other shard ran the chapter whole (it owns the first group), so
    nothing is left, and no round is planned for that unit ever after."""
    def owner(group):
        return Shard(0, 2).owner(canonical_key({"chapter": "groups", "group": group}))

    later = next(g for g in range(1, 50) if owner(g) == owner(0))
    text = f'''\
    # %%
    import numpy as np
    from infolib.cache import cached

    runs = []
    for group in (0, {later}):
        runs.append(cached({{"chapter": "groups", "group": group}},
                           lambda group=group: np.array([1.0 + group])))
        if float(runs[-1][0]) > 0:  # good enough: the first group always is
            break
    '''
    chapter = write_chapter(tmp_path, text, name="groups.py")
    merged, left = tmp_path / "merged", tmp_path / "left.json"
    packs = [tmp_path / f"p{i}.tar" for i in range(2)]
    manifests = [run(chapter, f"{i}/2", tmp_path / f"c{i}", output=packs[i]) for i in range(2)]
    assert shard_main(["--root", str(merged), "merge", *map(str, packs), "--left",
                       str(left)]) == 0
    phantom = [entry for m in manifests for entry in m["skipped"] if not (merged / entry).exists()]
    assert len(phantom) == 1, "the shard without the first group met the next group's unit"
    assert json.loads(left.read_text()) == []
    assert run(chapter, Shard(None, 1), merged)["missing"] == []


@pytest.mark.slow
def test_rounds_of_shards_of_a_real_chapter_leave_what_a_whole_run_leaves(tmp_path):
    """usable_information_controls at smoke: two shards, then the rounds merge plans, hold the
    entries a whole run holds, with its values (its seed groups stop early in a whole run, and
    seaborn refuses a stand-in by its type: shapes the tiny chapters above do not have)."""
    chapter = ROOT / "notebooks" / "usable_information_controls.py"
    run(chapter, "0/1", tmp_path / "whole", profile="smoke")
    merged = rounds_until_none_left(chapter, tmp_path, profile="smoke")
    whole, shards = stored_values(tmp_path / "whole"), stored_values(merged)
    assert whole.keys() == shards.keys() and len(whole) >= 5
    for name in whole:
        np.testing.assert_equal(as_numpy(shards[name]), as_numpy(whole[name]), err_msg=name)


def as_numpy(value):
    """A stored value with its tensors as numpy arrays, for np.testing.assert_equal."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, dict):
        return {key: as_numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_numpy(item) for item in value]
    return value
