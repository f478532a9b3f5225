"""Launch buttons (Binder, Colab) for the published book, and the cell that lets a launched chapter
install infolib.

The repository's address is known only where the book is published: GitHub Actions sets
``GITHUB_REPOSITORY`` (``owner/name``), and ``make book REPOSITORY=owner/name`` names it anywhere
else. With it the Makefile

- writes ``.stamps/_config.yml``, the book's ``_config.yml`` plus the repository and the launch
  buttons, and builds the book with it (``config``);
- adds to every chapter, right after its parameters cell and before it runs, a cell that installs
  infolib at the commit that ran the chapter when infolib cannot be imported: Colab and Binder open
  the executed notebook alone, without a checkout (``install-cell``).

The buttons open ``book/chapters/<chapter>.ipynb`` on the branch ``executed`` (the gpu book:
``executed-gpu``), which the workflows publish with every build from ``make executed-branch`` (the
repository's tree and the executed chapters; executed notebooks are never committed to main).
Without a repository nothing changes.

    python tools/launch_buttons.py config --repository owner/name -o .stamps/_config.yml
    python tools/launch_buttons.py install-cell NOTEBOOK.ipynb --repository owner/name --commit SHA
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "executed"  # the branch of executed chapters that the buttons open (book.yml writes it)
BINDERHUB = "https://mybinder.org"
COLAB = "https://colab.research.google.com"
INSTALL_TAG = "install-infolib"
# infolib's optional extras that a launched chapter needs: torchvision to download Fashion-MNIST
# where no copy is found, dask for infolib.parallel
EXTRAS = "download,parallel"

# an owner: letters, digits and single hyphens inside; a name: letters, digits, '.', '_', '-',
# neither "." nor ".." (GitHub refuses both)
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}/(?!\.\.?$)[A-Za-z0-9._-]{1,100}")
_COMMIT = re.compile(r"[0-9a-f]{7,40}")


def check_repository(repository: str) -> str:
    """``owner/name`` of a GitHub repository, else ValueError (a wrong address would publish
    buttons that open nothing)."""
    if not _REPOSITORY.fullmatch(repository or ""):
        raise ValueError(f"repository must be a GitHub 'owner/name', got {repository!r}")
    return repository


def pages_url(repository: str, site_dir: str = "") -> str:
    """Where GitHub Pages serves the repository's site (``site_dir``: a folder of it, such as the
    gpu book's ``gpu``): https://owner.github.io/name/, or https://owner.github.io/ for the
    repository owner.github.io."""
    owner, name = check_repository(repository).split("/")
    if ".." in site_dir.split("/"):
        raise ValueError(f"site_dir must be a folder inside the site, got {site_dir!r}")
    host = f"{owner.lower()}.github.io"
    root = f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"
    return root + (site_dir.strip("/") + "/" if site_dir.strip("/") else "")


def book_config(config: dict, repository: str, branch: str = BRANCH, site_dir: str = "") -> dict:
    """The book's configuration with the repository, its GitHub Pages address (Sphinx's
    html_baseurl) and the Binder and Colab buttons; the input is not changed."""
    check_repository(repository)
    config = copy.deepcopy(config)
    config["repository"] = {
        "url": f"https://github.com/{repository}",
        "branch": branch,
        "path_to_book": "",  # the book's root is the repository's: pages are book/...
    }
    config.setdefault("launch_buttons", {}).update(
        notebook_interface="classic", binderhub_url=BINDERHUB, colab_url=COLAB, thebe=False)
    config.setdefault("html", {}).update(use_repository_button=True,
                                         baseurl=pages_url(repository, site_dir))
    return config


def install_source(repository: str, commit: str) -> str:
    """The code of the install cell: pip-installs infolib at ``commit`` when it cannot be
    imported, and does nothing in a checkout, where it can."""
    check_repository(repository)
    if not _COMMIT.fullmatch(commit or ""):
        raise ValueError(f"commit must be a git commit's hex id, got {commit!r}")
    requirement = f"infolib[{EXTRAS}] @ git+https://github.com/{repository}@{commit}"
    return (
        "# Launched outside a checkout of the repository (Colab, Binder): install infolib at\n"
        "# the commit that ran this chapter. In a checkout it is installed: nothing happens.\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("infolib") is None:\n'
        f'    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet",\n'
        f'                           "{requirement}"])'
    )


def add_install_cell(path: Path, repository: str, commit: str) -> None:
    """Insert the install cell right after the notebook's cell tagged ``parameters`` (papermill
    then puts its injected parameters between the two); replaces an install cell already there.
    ValueError if the notebook has no parameters cell."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells = [cell for cell in notebook.cells
                      if INSTALL_TAG not in cell.metadata.get("tags", [])]
    where = [i for i, cell in enumerate(notebook.cells)
             if "parameters" in cell.metadata.get("tags", [])]
    if len(where) != 1:
        raise ValueError(f"{path}: {len(where)} cells tagged 'parameters', need exactly one")
    cell = nbformat.v4.new_code_cell(install_source(repository, commit),
                                     metadata={"tags": [INSTALL_TAG, "hide-input"]})
    notebook.cells.insert(where[0] + 1, cell)
    nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    config = commands.add_parser("config", help="the book's _config.yml with launch buttons")
    config.add_argument("--repository", required=True, help="GitHub owner/name")
    config.add_argument("--branch", default=BRANCH, help="the branch of executed chapters")
    config.add_argument("--site-dir", default="", help="the book's folder on GitHub Pages")
    config.add_argument("--base", type=Path, default=ROOT / "_config.yml")
    config.add_argument("-o", "--output", type=Path, required=True)
    cell = commands.add_parser("install-cell", help="add the install cell to a notebook")
    cell.add_argument("notebook", type=Path)
    cell.add_argument("--repository", required=True, help="GitHub owner/name")
    cell.add_argument("--commit", required=True, help="the commit that runs the chapter")
    args = parser.parse_args(argv)
    try:
        if args.command == "config":
            base = yaml.safe_load(args.base.read_text(encoding="utf-8"))
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(
                f"# Generated by tools/launch_buttons.py from {args.base.name}: do not edit.\n"
                + yaml.safe_dump(book_config(base, args.repository, args.branch, args.site_dir),
                                 sort_keys=False),
                encoding="utf-8")
        else:
            add_install_cell(args.notebook, args.repository, args.commit)
    except ValueError as error:
        print(f"launch_buttons: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
