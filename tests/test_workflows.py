"""The workflows: the GPU one runs every chapter (a chapter added to notebooks/ needs no edit
there), and both publish the branch of executed chapters that their launch buttons open."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _workflow(name):
    return yaml.safe_load((ROOT / ".github/workflows" / name).read_text())


def test_the_gpu_book_workflow_shards_every_chapter_in_rounds():
    """Round 1 lists every chapter in notebooks/ (a new chapter needs no edit); later rounds take
    the chapters the packs so far leave unfinished and start each shard from those packs; the
    book is built only when no unit is left (gpu-check for every chapter before make book)."""
    gpu, round_ = _workflow("gpu-book.yml"), _workflow("gpu-round.yml")
    rounds = [job for name, job in gpu["jobs"].items() if name.startswith("round-")]
    assert [job["with"]["round"] for job in rounds] == [1, 2, 3]
    assert all(job["uses"] == "./.github/workflows/gpu-round.yml" for job in rounds)
    assert gpu["jobs"]["round-2"]["needs"] == "round-1"
    assert gpu["jobs"]["book"]["needs"] == "round-3"
    plan = " ".join(step.get("run", "") for step in _steps(round_, "plan"))
    assert 'Path("notebooks").glob("*.py")' in plan and "merge packs/*.tar" in plan
    assert "--left chapters.json" in plan
    matrix = round_["jobs"]["shards"]["strategy"]["matrix"]
    assert matrix["chapter"] == "${{ fromJSON(needs.plan.outputs.chapters) }}"
    shard_steps = _steps(round_, "shards")
    runs = " ".join(step.get("run", "") for step in shard_steps)
    assert "make gpu-merge FILES='packs/*.tar'" in runs and "make gpu-shard" in runs
    assert runs.index("make gpu-merge") < runs.index("make gpu-shard")
    assert "-r${{ inputs.round }}-" in runs, "each round's packs have names of their own"
    uploads = [step for step in shard_steps if "upload-artifact" in step.get("uses", "")]
    assert uploads[0]["with"]["name"].startswith("pack-r${{ inputs.round }}-")
    book = " ".join(step.get("run", "") for step in _steps(gpu, "book"))
    assert book.index("make gpu-check") < book.index("make book PROFILE=gpu")


def _steps(workflow, job):
    return workflow["jobs"][job]["steps"]


def _published_branches(steps):
    return {step["with"].get("publish_branch"): step["with"]["publish_dir"]
            for step in steps if "actions-gh-pages" in step.get("uses", "")}


def test_the_workflows_publish_the_branches_their_launch_buttons_open():
    """The buttons of tools/launch_buttons.py open book/chapters/*.ipynb on LAUNCH_BRANCH
    (default: `executed`); each workflow must publish `make executed-branch` there."""
    default = re.search(r"^LAUNCH_BRANCH \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert default and default.group(1) == "executed"
    cpu = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    runs = " ".join(step.get("run", "") for step in _steps(cpu, "book"))
    assert "make book" in runs and "make executed-branch" in runs and "LAUNCH_BRANCH" not in runs
    assert _published_branches(_steps(cpu, "book"))["executed"] == "_build/executed"
    gpu = yaml.safe_load((ROOT / ".github/workflows/gpu-book.yml").read_text())
    runs = " ".join(step.get("run", "") for step in _steps(gpu, "book"))
    assert "make book PROFILE=gpu LAUNCH_BRANCH=executed-gpu SITE_DIR=gpu" in runs
    assert "make executed-branch PROFILE=gpu" in runs
    assert _published_branches(_steps(gpu, "book"))["executed-gpu"] == "_build/executed"
