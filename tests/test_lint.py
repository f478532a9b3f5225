"""The Python code outside the chapters follows the style set in pyproject.toml ([tool.ruff]):
ruff reports nothing for infolib, tests, benchmarks and tools. (The chapters in notebooks/ are
left out: their markdown cells are prose, wrapped for reading, not for a line limit.)"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_reports_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
         "infolib", "tests", "benchmarks", "tools"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, f"ruff found style errors (fix: ruff check --fix):\n{done.stdout}"
