"""tools/launch_buttons.py: the published book's Binder and Colab buttons, and the cell that
installs infolib in a chapter launched without a checkout.

The last test builds a one-chapter book the way `make book REPOSITORY=owner/name` does (install
cell, papermill, the generated configuration, jupyter-book) and checks the buttons' addresses and
the browser check on it.
"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import nbformat
import papermill
import pytest
import yaml
from jupyter_book.config import validate_yaml

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


launch = _load("launch_buttons")
REPOSITORY = "example-owner/infolib-book"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def base_config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def test_config_adds_repository_and_buttons_and_is_valid():
    base = base_config()
    config = launch.book_config(base, REPOSITORY)
    assert config["repository"] == {"url": f"https://github.com/{REPOSITORY}",
                                    "branch": "executed", "path_to_book": ""}
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert base == base_config(), "book_config changed its input"
    assert {k: v for k, v in config.items() if k not in ("repository", "launch_buttons", "html")} \
        == {k: v for k, v in base.items() if k not in ("repository", "launch_buttons", "html")}
    assert config["html"]["baseurl"] == "https://example-owner.github.io/infolib-book/"
    validate_yaml(config, raise_on_errors=True)


@pytest.mark.parametrize("repository, site_dir, url", [
    ("Owner/book", "", "https://owner.github.io/book/"),
    ("Owner/book", "gpu", "https://owner.github.io/book/gpu/"),
    ("Owner/book", "/gpu/", "https://owner.github.io/book/gpu/"),
    ("owner/Owner.github.io", "", "https://owner.github.io/"),
])
def test_pages_url(repository, site_dir, url):
    assert launch.pages_url(repository, site_dir) == url


def test_a_site_dir_outside_the_site_is_an_error():
    with pytest.raises(ValueError, match="site_dir must be a folder inside the site"):
        launch.pages_url("owner/book", "../other")


@pytest.mark.parametrize("repository", ["", "owner", "owner/", "/name", "a/b/c",
                                        "https://github.com/a/b", "own er/name",
                                        # names GitHub refuses: the buttons would open nothing
                                        "owner/..", "owner/.", "owner-/b", "a--b/c", "-a/b"])
def test_a_wrong_repository_is_an_error(repository):
    with pytest.raises(ValueError, match="owner/name"):
        launch.book_config(base_config(), repository)
    with pytest.raises(ValueError, match="owner/name"):
        launch.install_source(repository, COMMIT)


@pytest.mark.parametrize("commit", ["", "main", "HEAD", "xyz1234", "0123"])
def test_a_wrong_commit_is_an_error(commit):
    with pytest.raises(ValueError, match="commit"):
        launch.install_source(REPOSITORY, commit)


def run_install_cell(importable: bool) -> list:
    """The install cell's code, run with infolib importable or not; the pip calls it made."""
    calls = []
    find_spec = importlib.util.find_spec
    with mock.patch("importlib.util.find_spec",
                    side_effect=lambda name, *a: (find_spec(name, *a) if importable or
                                                  name != "infolib" else None)), \
            mock.patch("subprocess.check_call", side_effect=calls.append):
        exec(launch.install_source(REPOSITORY, COMMIT), {})
    return calls


def test_install_cell_installs_infolib_at_the_commit_only_where_it_is_missing():
    assert run_install_cell(importable=True) == []
    assert run_install_cell(importable=False) == [[
        sys.executable, "-m", "pip", "install", "--quiet",
        f"infolib[download,parallel] @ git+https://github.com/{REPOSITORY}@{COMMIT}"]]


def notebook_with_parameters(path: Path, parameter_cells: int = 1) -> Path:
    cells = [nbformat.v4.new_markdown_cell("# A chapter\n\nIt prints its profile.")]
    cells += [nbformat.v4.new_code_cell('profile = "cpu"', metadata={"tags": ["parameters"]})
              for _ in range(parameter_cells)]
    cells += [nbformat.v4.new_code_cell("import infolib\n\nprint(profile, infolib.__name__)")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, path)
    return path


def tags(cell):
    return cell.metadata.get("tags", [])


def test_install_cell_goes_right_after_the_parameters_cell_once(tmp_path):
    path = notebook_with_parameters(tmp_path / "chapter.ipynb")
    launch.add_install_cell(path, REPOSITORY, COMMIT)
    launch.add_install_cell(path, REPOSITORY, "fedcba9")  # again: replaces, does not add
    cells = nbformat.read(path, as_version=4).cells
    assert [tags(cell) for cell in cells] == [
        [], ["parameters"], ["install-infolib", "hide-input"], []]
    assert "@fedcba9" in cells[2].source and COMMIT not in cells[2].source


@pytest.mark.parametrize("parameter_cells", [0, 2])
def test_install_cell_needs_exactly_one_parameters_cell(tmp_path, parameter_cells):
    path = notebook_with_parameters(tmp_path / "chapter.ipynb", parameter_cells)
    with pytest.raises(ValueError, match=f"{parameter_cells} cells tagged 'parameters'"):
        launch.add_install_cell(path, REPOSITORY, COMMIT)


def test_command_line_says_what_is_wrong(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "launch_buttons.py"), "config",
         "--repository", "not a repository", "-o", str(tmp_path / "c.yml")],
        capture_output=True, text=True)
    assert result.returncode == 2 and "owner/name" in result.stderr
    assert not (tmp_path / "c.yml").exists()


@pytest.mark.slow
def test_a_built_chapter_has_buttons_that_open_its_executed_notebook(tmp_path):
    """As `make book REPOSITORY=...` on one chapter: the install cell runs (infolib is importable
    here, so it installs nothing), the page links Binder and Colab to book/chapters/demo.ipynb on
    the branch ``executed``, and the page passes the browser check."""
    (tmp_path / "book" / "chapters").mkdir(parents=True)
    shutil.copy2(ROOT / "book" / "references.bib", tmp_path / "book" / "references.bib")
    (tmp_path / "book" / "intro.md").write_text("# A book\n\nOne chapter.\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/chapters/demo\n")
    (tmp_path / ".stamps").mkdir()  # as in the Makefile: outside the book's pages
    source = notebook_with_parameters(tmp_path / ".stamps" / "demo.ipynb")
    assert launch.main(["install-cell", str(source), "--repository", REPOSITORY,
                        "--commit", COMMIT]) == 0
    executed = tmp_path / "book" / "chapters" / "demo.ipynb"
    papermill.execute_notebook(str(source), str(executed), parameters={"profile": "smoke"},
                               kernel_name="python3", progress_bar=False)
    cells = nbformat.read(executed, as_version=4).cells
    assert [tags(cell) for cell in cells[1:4]] == [
        ["parameters"], ["injected-parameters"], ["install-infolib", "hide-input"]]
    assert cells[4].outputs[0]["text"] == "smoke infolib\n"
    assert launch.main(["config", "--repository", REPOSITORY, "--site-dir", "gpu",
                        "-o", str(tmp_path / ".stamps" / "_config.yml")]) == 0
    result = subprocess.run(
        [str(Path(sys.executable).with_name("jupyter-book")), "build", str(tmp_path),
         "--config", str(tmp_path / ".stamps" / "_config.yml"), "-W", "--keep-going"],
        cwd=tmp_path, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "WARNING" not in output, output[-3000:]
    html = tmp_path / "_build" / "html"
    page = (html / "book" / "chapters" / "demo.html").read_text()
    assert (f'href="https://mybinder.org/v2/gh/{REPOSITORY}/executed'
            '?urlpath=tree/book/chapters/demo.ipynb"') in page
    assert (f'href="https://colab.research.google.com/github/{REPOSITORY}/blob/executed/'
            'book/chapters/demo.ipynb"') in page
    assert ('<link rel="canonical" href="https://example-owner.github.io/infolib-book/gpu/'
            'book/chapters/demo.html"') in page
    check_html = _load("check_html")
    report = check_html.check_site(html)
    assert report.ok, report.summary()


def test_make_uses_the_tool_only_when_the_repository_is_known(make_dry_run):
    """The Makefile's wiring: with REPOSITORY, each chapter gets the install cell (at this
    commit) before papermill runs it, and the book builds from the generated configuration;
    without it, neither happens and the book builds from _config.yml."""
    chapter = "book/chapters/information_distance_tasks.ipynb"
    with_repository = make_dry_run("-B", chapter, "REPOSITORY=owner/name")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    install = (f"tools/launch_buttons.py install-cell .stamps/source/information_distance_tasks"
               f".ipynb --repository owner/name --commit {commit}")
    assert install in with_repository
    assert with_repository.index(install) < with_repository.index("papermill")
    assert "launch_buttons" not in make_dry_run("-B", chapter)
    book = make_dry_run("book", "REPOSITORY=owner/name", "LAUNCH_BRANCH=executed-gpu",
                        "SITE_DIR=gpu")
    assert ("launch_buttons.py config --repository owner/name --branch executed-gpu "
            '--site-dir "gpu" -o .stamps/_config.yml') in book
    assert "jupyter-book build . --config .stamps/_config.yml" in book
    assert "jupyter-book build . --config _config.yml" in make_dry_run("book")
