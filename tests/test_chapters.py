"""Every chapter runs at the smoke profile under papermill, and the book builds from the results.

The chapters are executed once per test session into a temporary copy of the book's skeleton, with
an empty result cache so that they really compute; then jupyter-book builds that copy with ``-W``.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(ROOT.glob("notebooks/*.py"))


def test_there_are_chapters():
    assert CHAPTERS, f"no chapter found: {ROOT / 'notebooks'} holds no *.py (jupytext py:percent)"


def execute_chapter(source: Path, chapters_dir: Path, work_dir: Path) -> None:
    """What ``make chapters`` does: jupytext to a notebook, papermill at the smoke profile, with
    book/chapters as the working directory so the chapter's claims land beside the notebook."""
    notebook = jupytext.read(source)
    # The python3 kernelspec of the environment running pytest: papermill starts it with this
    # interpreter (jupyter_client replaces its "python" with sys.executable).
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    converted = work_dir / f"{source.stem}.ipynb"
    jupytext.write(notebook, converted)
    papermill.execute_notebook(
        str(converted),
        str(chapters_dir / f"{source.stem}.ipynb"),
        parameters={"profile": "smoke"},
        cwd=str(chapters_dir),
        kernel_name="python3",
        progress_bar=False,
    )


@pytest.fixture(scope="module")
def executed_book(tmp_path_factory):
    """A temporary book root holding the configuration, the authored pages and every chapter
    executed at the smoke profile; returns (root, {chapter: exception or None})."""
    root = tmp_path_factory.mktemp("book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, root / name)
    (root / "book").mkdir()
    for page in [*ROOT.glob("book/*.md"), ROOT / "book" / "references.bib"]:
        shutil.copy2(page, root / "book" / page.name)
    chapters_dir = root / "book" / "chapters"
    chapters_dir.mkdir()
    work_dir = tmp_path_factory.mktemp("converted")

    errors = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("INFOLIB_CACHE", str(tmp_path_factory.mktemp("cache")))
        # As in the Makefile: the chapters run in book/chapters, so ./data at the root is passed on.
        if "INFOLIB_DATA" not in os.environ and (ROOT / "data").is_dir():
            env.setenv("INFOLIB_DATA", str(ROOT / "data"))
        for source in CHAPTERS:
            try:
                execute_chapter(source, chapters_dir, work_dir)
                errors[source.stem] = None
            except Exception as error:  # reported by the chapter's own test
                errors[source.stem] = error
    return root, errors


@pytest.mark.slow
@pytest.mark.parametrize("source", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_chapter_runs_at_smoke_profile(executed_book, source):
    root, errors = executed_book
    if errors[source.stem] is not None:
        raise errors[source.stem]
    chapters_dir = root / "book" / "chapters"
    assert (chapters_dir / f"{source.stem}.ipynb").is_file()
    assert (chapters_dir / f"{source.stem}.claims.json").is_file(), (
        f"{source.name} ran but wrote no {source.stem}.claims.json into its working directory"
    )


@pytest.mark.slow
@pytest.mark.parametrize("source", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_every_figure_is_numbered_captioned_and_referenced(executed_book, source):
    """Each cell that shows an image shows only that figure, folds its code, and carries a figure
    name, a caption and alt text (myst-nb metadata); the chapter's prose refers to the name."""
    import json

    root, errors = executed_book
    if errors[source.stem] is not None:
        pytest.skip(f"{source.stem} did not run; test_chapter_runs_at_smoke_profile reports it")
    notebook = json.loads((root / "book" / "chapters" / f"{source.stem}.ipynb").read_text())
    prose = "".join("".join(cell["source"]) for cell in notebook["cells"]
                    if cell["cell_type"] == "markdown")
    for cell in notebook["cells"]:
        images = [output for output in cell.get("outputs", [])
                  if "image/png" in output.get("data", {})]
        if not images:
            continue
        code = "".join(cell["source"])[:80]
        mystnb = cell["metadata"].get("mystnb", {})
        name = mystnb.get("figure", {}).get("name")
        assert name and mystnb["figure"].get("caption"), f"a figure without name or caption: {code}"
        assert mystnb.get("image", {}).get("alt"), f"{name} has no alt text"
        assert len(cell["outputs"]) == 1, f"{name}'s cell shows more than its figure"
        assert "hide-input" in cell["metadata"].get("tags", []), f"{name}'s code is not folded"
        assert f"`{name}`" in prose, f"{name} is never referred to from the prose"


# Every chapter ends with exercises for teachers (sphinx-exercise): an {exercise} directive with
# `:label: ex-<chapter>-<n>`, then its solution between the gated directives
# `{solution-start} <label>` (`:class: dropdown`, folded) and `{solution-end}`, whose code cells
# are tagged "solution" and run with the chapter at every profile.
EXERCISE_TOKEN = re.compile(r"```\{exercise\}[^\n]*\n:label:[ \t]*(?P<exercise>\S+)"
                            r"|```\{solution-start\}[ \t]+(?P<start>\S+)"
                            r"|```\{solution-end\}")
SOLUTIONS_SECONDS = 60  # all chapters' solution cells together, at the smoke profile


def cell_text(cell) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def exercises(cells, chapter):
    """(exercises, problems) of a chapter's cells: {label: [its solution's code cells]} in order,
    and what breaks the format (each message names the chapter)."""
    found, problems, open_label = {}, [], None
    for cell in cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code":
            if open_label is not None:
                found[open_label].append(cell)
                if "solution" not in tags:
                    problems.append(f"{chapter}: a code cell of the solution to {open_label} is "
                                    "not tagged 'solution'")
            elif "solution" in tags:
                problems.append(f"{chapter}: a code cell tagged 'solution' outside any solution: "
                                f"{cell_text(cell)[:60]!r}")
            continue
        if cell["cell_type"] != "markdown":
            continue
        for token in EXERCISE_TOKEN.finditer(cell_text(cell)):
            if token["exercise"]:
                label = token["exercise"]
                if open_label is not None:
                    problems.append(f"{chapter}: exercise {label} starts inside the solution to "
                                    f"{open_label}")
                if label in found:
                    problems.append(f"{chapter}: the label {label} is used twice")
                if not re.fullmatch(rf"ex-{re.escape(chapter)}-\d+", label):
                    problems.append(f"{chapter}: exercise label {label!r} is not "
                                    f"ex-{chapter}-<n>")
                found[label] = None
            elif token["start"]:
                label = token["start"]
                if label not in found or found[label] is not None or open_label is not None:
                    problems.append(f"{chapter}: solution-start {label} does not follow its "
                                    "exercise (or a solution is already open, or it has one)")
                    continue
                found[label], open_label = [], label
                after = cell_text(cell)[token.end():]
                if not re.match(r"[ \t]*\n:class:[ \t]*dropdown", after):
                    problems.append(f"{chapter}: the solution to {label} is not folded "
                                    "(`:class: dropdown` on the line after solution-start)")
            else:
                if open_label is None:
                    problems.append(f"{chapter}: solution-end without a solution-start")
                open_label = None
    if open_label is not None:
        problems.append(f"{chapter}: the solution to {open_label} has no solution-end")
    for label, solution in found.items():
        if solution is None:
            problems.append(f"{chapter}: exercise {label} has no solution")
        elif not solution:
            problems.append(f"{chapter}: the solution to {label} has no code cell")
    if not 2 <= len(found) <= 3:
        problems.append(f"{chapter}: {len(found)} exercises, expected 2 or 3")
    return {label: solution or [] for label, solution in found.items()}, problems


def test_every_chapter_has_exercises_with_folded_solutions():
    """2 or 3 exercises per chapter, each with a folded solution holding tagged code cells; every
    label unique in the book."""
    problems, owners = [], {}
    for source in CHAPTERS:
        found, chapter_problems = exercises(jupytext.read(source).cells, source.stem)
        problems += chapter_problems
        for label in found:
            if label in owners:
                problems.append(f"{source.stem}: the label {label} is also {owners[label]}'s")
            owners[label] = source.stem
    assert not problems, "exercises out of format:\n" + "\n".join(problems)


@pytest.mark.slow
def test_solutions_run_quickly_and_draw_no_figure(executed_book):
    """The solution cells of every chapter, executed at the smoke profile, take under
    SOLUTIONS_SECONDS together (papermill's duration of each cell) and show no figure (a figure
    would need a number, a caption and a reference). The format itself is
    test_every_chapter_has_exercises_with_folded_solutions's."""
    import json

    root, errors = executed_book
    failed = sorted(name for name, error in errors.items() if error is not None)
    if failed:
        pytest.fail(f"the solutions' time needs every chapter, and these failed: {failed}")
    seconds, problems = {}, []
    for source in CHAPTERS:
        notebook = json.loads((root / "book" / "chapters" / f"{source.stem}.ipynb").read_text())
        found, _ = exercises(notebook["cells"], source.stem)
        for label, cells in found.items():
            seconds[label] = sum(cell["metadata"].get("papermill", {}).get("duration") or 0.0
                                 for cell in cells)
            problems += [f"{label}: a solution cell shows a figure" for cell in cells
                         for output in cell.get("outputs", [])
                         if "image/png" in output.get("data", {})]
    assert not problems, "\n".join(problems)
    slowest = ", ".join(f"{label} {s:.1f} s" for label, s in
                        sorted(seconds.items(), key=lambda item: -item[1])[:5])
    assert sum(seconds.values()) < SOLUTIONS_SECONDS, (
        f"the solutions take {sum(seconds.values()):.1f} s at smoke, more than "
        f"{SOLUTIONS_SECONDS} s; the slowest: {slowest}")


@pytest.mark.slow
def test_book_builds_without_warnings(executed_book):
    root, errors = executed_book
    failed = sorted(name for name, error in errors.items() if error is not None)
    if failed:
        pytest.fail(f"the book needs every chapter, and these failed: {', '.join(failed)}")
    generated = root / "book" / "_generated"
    for table, options in [("scorecard_table.md", ["--figure", str(generated / "scorecard.png")]),
                           ("provenance_table.md", ["--provenance"]),
                           ("scorecard_totals.md", ["--totals"])]:
        subprocess.run(
            [sys.executable, "-m", "infolib.claims", *options, str(generated / table),
             str(root / "book" / "chapters")],
            check=True,
        )
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    assert jupyter_book.exists(), f"jupyter-book is not installed beside {sys.executable}"
    result = subprocess.run(
        [str(jupyter_book), "build", str(root), "-W", "--keep-going"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"jupyter-book build failed:\n{output[-5000:]}"
    assert "WARNING" not in output, f"jupyter-book build warned:\n{output[-5000:]}"
    html = root / "_build" / "html" / "book"
    for source in CHAPTERS:
        assert (html / "chapters" / f"{source.stem}.html").is_file()
    assert (html / "scorecard.html").is_file()
    provenance = (html / "provenance.html").read_text()
    for source in CHAPTERS:  # a row of the table per chapter (the cell, not a navigation link)
        assert re.search(rf"<td[^>]*>\s*(<p>)?{source.stem}(</p>)?\s*</td>", provenance), (
            f"provenance.html has no row for {source.stem}")


@pytest.mark.slow
def test_book_pages_pass_the_browser_check(executed_book):
    """tools/check_html.py (`make check-html`) on the book that test_book_builds_without_warnings
    built: every page opened in headless Chromium, nothing requested outside the book, every image
    and formula rendered, every internal link and anchor found."""
    root, _ = executed_book
    html = root / "_build" / "html"
    if not (html / "book" / "intro.html").is_file():
        pytest.fail(f"no built book in {html}: test_book_builds_without_warnings builds it (and "
                    "runs first in this file); see its failure")
    spec = importlib.util.spec_from_file_location("check_html", ROOT / "tools" / "check_html.py")
    check_html = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = check_html
    spec.loader.exec_module(check_html)
    try:
        report = check_html.check_site(html)
    except check_html.CheckUnavailable as error:
        pytest.fail(f"the browser check cannot run: {error}")
    assert report.ok, f"the built pages failed the browser check:\n{report.summary()}"


@pytest.mark.parametrize("source", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_chapter_uses_the_shared_kit(source):
    """Verdicts, cache keys and seeds come from infolib (claims, settings.key, config.seeds),
    not from chapter-private rules."""
    text = source.read_text(encoding="utf-8")
    assert "kendalltau" not in text, f"{source.name}: use infolib.claims.trend, not kendalltau"
    assert "dict(chapter=" not in text and '{"chapter":' not in text, (
        f"{source.name}: build cache keys with settings.key(...)"
    )
    assert "holds=True" not in text and "holds=False" not in text, (
        f"{source.name}: record verdicts from a test of infolib.claims (result=...)"
    )
    assert "seeds(seed, settings.n_seeds)" in text or "seeds(seed, " in text, (
        f"{source.name}: one seed list from infolib.config.seeds"
    )
