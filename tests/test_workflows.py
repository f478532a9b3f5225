"""The GPU workflow runs every chapter: a chapter added to notebooks/ needs no edit there."""

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
