"""tools/check_html.py on a small hand-made site: a good page passes, and each kind of broken page
fails with its own message.

It opens the pages in the Chromium of the Debian package ``chromium`` through Playwright;
`make test` installs the package where it can (root and apt-get), and these tests fail, rather than
skip, when it is missing, so that the browser check of the book cannot silently stop running on CI.
"""

import importlib.util
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKER = ROOT / "tools" / "check_html.py"


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_html", CHECKER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


check_html = _load_checker()



def png_pixel() -> bytes:
    """A 1 x 1 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def mathjax_dir() -> Path:
    """MathJax 3 as the book serves it: the files of the pip package sphinx-mathjax-offline."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    assert spec is not None and spec.origin, (
        "sphinx-mathjax-offline is not installed (requirements.txt; `make setup`)")
    return Path(spec.origin).parent / "static" / "mathjax"


def page(body: str, head: str = "") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title>{head}</head>'
            f"<body>{body}</body></html>")


MATHJAX = '<script defer src="_static/mathjax/tex-chtml.js"></script>'

# page -> (HTML, what the check must say about it: substrings of its one problem, or None)
PAGES = {
    "good.html": (page(
        '<h1 id="top">Good</h1><p>Inline <span class="math">\\(x^2 + \\alpha\\)</span>.</p>'
        '<div class="math">\\[\\sum_i p_i \\log p_i\\]</div>'
        '<img src="pixel.png" alt="a pixel"><a href="other.html#section">other</a>'
        '<a href="#top">top</a><a href="sub/">folder</a><a href="https://example.org/">away</a>'
        '<p>Prices are $3 and $4, and code keeps <code>$x_i$</code>.</p>',
        MATHJAX), None),
    "other.html": (page('<h2 id="section">Section</h2>'), None),
    "sub/index.html": (page("<p>index of a folder</p>"), None),
    "broken_file_link.html": (page('<a href="nowhere.html">gone</a>'),
                              ["broken link: nowhere.html", "no file nowhere.html"]),
    "broken_anchor.html": (page('<a href="other.html#no-such-id">gone</a>'),
                           ["broken link: other.html#no-such-id", "no id 'no-such-id'"]),
    "missing_image.html": (page('<img src="figures/lost.png" alt="lost">'),
                           ["missing file (HTTP 404): figures/lost.png"]),
    "broken_image.html": (page('<img src="not_a_png.png" alt="broken">'),
                          ["image did not load: not_a_png.png"]),
    "external_script.html": (page("<p>x</p>",
                                  '<script src="https://cdn.example.org/lib.js"></script>'),
                             ["request outside the book (blocked): "
                              "https://cdn.example.org/lib.js"]),
    "console_error.html": (page('<script>console.error("something broke")</script>'),
                           ["console error: something broke"]),
    "page_error.html": (page('<script>throw new Error("uncaught")</script>'),
                        ["page error: uncaught"]),
    "math_error.html": (page('<span class="math">\\(\\frac{1}\\)</span>', MATHJAX),
                        ["math error"]),
    "math_without_mathjax.html": (page('<span class="math">\\(x\\)</span>'),
                                  ["math not rendered (MathJax is not on the page)"]),
    "raw_tex.html": (page("<p>The loss $\\ell(x_i)$ was not parsed.</p>"),
                     ["math not rendered (TeX shown as text)", "$\\ell(x_i)$"]),
    "redirect.html": (page("", '<meta http-equiv="Refresh" content="0; url=gone.html" />'),
                      ["broken link: gone.html"]),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    for name, (html, _) in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(html, encoding="utf-8")
    (root / "pixel.png").write_bytes(png_pixel())
    (root / "not_a_png.png").write_bytes(b"this is not an image")
    shutil.copytree(mathjax_dir(), root / "_static" / "mathjax")
    return root


@pytest.fixture(scope="module")
def report(site):
    try:
        return check_html.check_site(site)
    except check_html.CheckUnavailable as error:
        pytest.fail(f"the browser check cannot run: {error}")


def test_every_page_is_opened(report):
    assert report.pages == sorted(PAGES)


def test_good_pages_pass(report):
    for name, (_, expected) in PAGES.items():
        if expected is None:
            assert not report.problems.get(name), f"{name}: {report.problems.get(name)}"
    # the good page's two formulas were typeset by the MathJax copied beside it
    assert report.details["good.html"]["math"] == 2
    assert report.details["good.html"]["rendered"] == 2


@pytest.mark.parametrize("name", [name for name, (_, expected) in PAGES.items() if expected])
def test_each_broken_page_fails_with_its_message(report, name):
    problems = report.problems.get(name, [])
    assert len(problems) == 1, f"{name}: expected one problem, found {problems}"
    for fragment in PAGES[name][1]:
        assert fragment in problems[0], f"{name}: {fragment!r} not in {problems[0]!r}"


def test_internal_links_are_counted_and_external_ones_left_alone(report):
    # good: other.html#section, #top, sub/ (example.org is another site); broken_*: 2; redirect: 1
    assert report.links_checked == 6
    assert not report.ok


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, str(CHECKER), *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300)


def test_command_exits_0_on_a_good_site_and_1_on_a_broken_one(site, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    for name in ("other.html", "sub"):
        source = site / name
        if source.is_dir():
            shutil.copytree(source, good / name)
        else:
            shutil.copy2(source, good / name)
    (good / "index.html").write_text(page('<a href="other.html#section">x</a>'))
    result = run_cli(good)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 pages, 1 internal links, 0 pages with problems" in result.stdout

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "index.html").write_text(page('<a href="nowhere.html">x</a>'))
    result = run_cli(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "index.html:\n  - broken link: nowhere.html" in result.stdout


def test_command_says_why_it_cannot_run_without_chromium(site, tmp_path):
    result = run_cli(site, "--chromium", tmp_path / "no-chromium")
    assert result.returncode == 2
    assert "cannot run: no Chromium executable" in result.stderr
    assert "apt-get install chromium" in result.stderr
