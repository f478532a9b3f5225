"""The book's API page documents every module of infolib (a new module cannot be forgotten)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_infolib_module_is_on_the_api_page():
    modules = {path.stem for path in (ROOT / "infolib").glob("*.py") if path.stem != "__init__"}
    page = (ROOT / "book" / "api.md").read_text()
    documented = set(re.findall(r"^\.\. automodule:: infolib\.(\w+)$", page, flags=re.MULTILINE))
    assert documented == modules, (
        f"book/api.md lacks {sorted(modules - documented)} and lists unknown "
        f"{sorted(documented - modules)}")
