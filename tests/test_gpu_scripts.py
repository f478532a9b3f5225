"""benchmarks/gpu_shards.sh, the script a session with a GPU machine runs, end to end at `smoke`
on the CPU: a GPU session has minutes, and a script that broke since the last one would spend
them. The CUDA parts themselves are tests/test_cuda.py's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shards_script(tmp_path: Path, name: str, **variables: str) -> subprocess.CompletedProcess:
    """Run gpu_shards.sh at smoke with this interpreter's environment first on PATH, its own
    cache, work folder and output folder, and the fisher chapter's Fig. 4 units only."""
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "INSTALL": "0", "PROFILE": "smoke", "TESTS": "0", "BENCH": "0", "SHARD": "0",
        "LIMIT": "120", "STOP": "300", "CHAPTERS": "fisher", "COUNTS": "fisher:1",
        "ONLY": "fisher:experiment=fig4", "SHARD_CACHE": str(tmp_path / "cache"),
        "WORK": str(tmp_path / f"{name}-work"), "OUT": str(tmp_path / name), **variables}
    return subprocess.run(["bash", "benchmarks/gpu_shards.sh"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=600)


def manifest_of(out: Path) -> dict:
    """The manifest that comes back in logs.tar (also for a pack too large to come back)."""
    with tarfile.open(out / "logs.tar") as logs:
        (member,) = [m for m in logs.getmembers() if m.name.endswith(".manifest.log")]
        return json.loads(logs.extractfile(member).read())


def test_gpu_shards_script_packs_a_shard_and_merges_it_in_the_next_call(tmp_path):
    first = shards_script(tmp_path, "first")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    manifest = manifest_of(tmp_path / "first")
    assert manifest["status"] == "ok" and manifest["only"] == [{"experiment": "fig4"}]
    computed = manifest["units"]["computed"]
    assert computed > 0 and len(manifest["entries"]) == computed
    with tarfile.open(tmp_path / "first" / "packs-0.tar") as bundle:
        assert [m.name for m in bundle.getmembers()] == ["fisher-smoke-0of1.tar"]
        bundle.extractall(tmp_path / "carried", filter="data")

    # the next call starts from an empty cache, as a fresh machine does, and merges the pack
    second = shards_script(tmp_path, "second", SHARD_CACHE=str(tmp_path / "fresh"),
                           MERGE=str(tmp_path / "carried" / "*.tar"))
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert f"{computed} added" in second.stdout
    manifest = manifest_of(tmp_path / "second")
    assert manifest["units"]["computed"] == 0 and manifest["units"]["read"] == computed


def test_gpu_shards_script_runs_several_shards_of_a_chapter_side_by_side(tmp_path):
    """SHARD='0 1 2' with two shards of the chapter: shards 0 and 1 run, each packs its own
    units (none twice), and shard 2, which the chapter does not have, is reported, not run."""
    out = tmp_path / "two"
    result = shards_script(tmp_path, "two", SHARD="0 1 2", COUNTS="fisher:2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "shard fisher 2/2: not run (the chapter has 2 shard(s))" in result.stdout
    with tarfile.open(out / "packs-0.tar") as bundle:
        assert sorted(m.name for m in bundle.getmembers()) == [
            "fisher-smoke-0of2.tar", "fisher-smoke-1of2.tar"]
    with tarfile.open(out / "logs.tar") as logs:
        manifests = [json.loads(logs.extractfile(m).read()) for m in logs.getmembers()
                     if m.name.endswith(".manifest.log")]
        assert {"./fisher-0.log", "./fisher-1.log"} <= set(logs.getnames()), "a log per shard"
    assert sorted(m["shard"] for m in manifests) == [[0, 2], [1, 2]]
    assert all(m["status"] == "ok" for m in manifests)
    entries = [set(m["entries"]) for m in manifests]
    assert entries[0].isdisjoint(entries[1]) and entries[0] | entries[1]
