"""The workflows: the GPU one runs every chapter (a chapter added to notebooks/ needs no edit
there), and both publish the branch of executed chapters that their launch buttons open."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_gpu_book_workflow_shards_every_chapter():
    workflow = yaml.safe_load((ROOT / ".github/workflows/gpu-book.yml").read_text())
    chapters = workflow["jobs"]["shards"]["strategy"]["matrix"]["chapter"]
    if isinstance(chapters, list):  # written out: it must name every chapter
        assert sorted(chapters) == sorted(p.stem for p in (ROOT / "notebooks").glob("*.py"))
    else:  # listed by the plan job from notebooks/
        assert chapters == "${{ fromJSON(needs.plan.outputs.chapters) }}"
        assert 'Path("notebooks").glob("*.py")' in str(workflow["jobs"]["plan"]["steps"])


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
