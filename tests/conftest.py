"""Fixtures shared by several test modules."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def make_dry_run():
    """``make_dry_run(*arguments)``: what `make -n` would run in the repository, without
    GITHUB_REPOSITORY (so only the arguments decide) and without the flags of a `make test` this
    may run under."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("GITHUB_REPOSITORY", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}

    def run(*arguments, check: bool = True) -> subprocess.CompletedProcess | str:
        result = subprocess.run(["make", "-n", *arguments], cwd=ROOT, env=environment,
                                capture_output=True, text=True)
        if not check:
            return result
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    return run
