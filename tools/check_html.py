r"""Open every page of a built HTML book in headless Chromium; list what a reader sees broken.

    python tools/check_html.py [_build/html]

The build is served over a local HTTP server (file:// changes how scripts and fonts load), and
Playwright drives the Chromium of the Debian package ``chromium`` through its executable path
(Playwright's own browser downloads do not work offline). A page fails on

- a console error or an uncaught JavaScript error;
- a request to any host other than the local server (blocked, so nothing leaves the machine), or a
  local file that is missing;
- an image that did not load (``naturalWidth`` 0);
- math that did not render: a ``.math`` element with no ``mjx-container`` once
  ``MathJax.startup.promise`` has resolved, a MathJax error (``mjx-merror``), or TeX shown as text
  (``\(``, ``\[``, ``$$``, ``\begin{`` or ``$...$`` holding ``\``, ``^`` or ``_``, outside code);
- a broken internal link: an ``<a href>`` to a file of the build that does not exist, or to a
  ``#fragment`` that no element of the target page has as its id.

Exit status: 0 when every page passes, 1 with the problems listed page by page, 2 when the check
cannot run (no Chromium, no Playwright, no pages). ``make check-html`` runs it on ``_build/html``;
tests/test_chapters.py runs it on the book built from the smoke chapters.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

# Where the Debian package puts the browser: the binary itself first (/usr/bin/chromium is a shell
# wrapper around it). CHROMIUM in the environment names another.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "chromium",
                       "chromium-browser")
INSTALL_HINT = ("`make test` and `make check-html` install it as root with apt-get "
                "(apt-get install chromium); elsewhere set CHROMIUM=/path/to/chromium")
# Chromium repeats every failed resource as a console error without its URL; the request itself is
# reported instead (blocked, missing or failed, with the URL).
RESOURCE_ERROR = "Failed to load resource"

# Runs in the page after its load event: waits for MathJax's typesetting and for every image
# (lazy ones made eager), then returns what the checks need.
INSPECT_PAGE = r"""
async (timeoutMs) => {
  const within = (promise) => Promise.race(
    [promise, new Promise((resolve) => setTimeout(() => resolve("timeout"), timeoutMs))]);
  const result = {mathjax: "absent", images: [], math: [], merrors: [], links: [], ids: [],
                  rawTex: [], counts: {}};
  const mathElements = [...document.querySelectorAll(".math")];
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    try {
      result.mathjax = (await within(window.MathJax.startup.promise)) === "timeout"
        ? "timeout" : "done";
    } catch (error) {
      result.mathjax = "failed: " + error;
    }
  } else if (window.MathJax) {
    result.mathjax = "not started";  // the configuration is there, the script did not run
  }
  // MathJax's web fonts load once formulas are typeset: a page left before they arrive cancels them
  if (document.fonts) await within(document.fonts.ready);
  const images = [...document.images];
  for (const img of images) { if (img.loading === "lazy") img.loading = "eager"; }
  await within(Promise.all(images.map((img) => img.complete ? null
    : new Promise((resolve) => { img.addEventListener("load", resolve);
                                 img.addEventListener("error", resolve); }))));
  for (const img of images) {
    if (!img.complete || img.naturalWidth === 0) {
      result.images.push(img.currentSrc || img.src || img.outerHTML.slice(0, 120));
    }
  }
  for (const el of mathElements) {
    if (!el.querySelector("mjx-container")) result.math.push(el.textContent.trim().slice(0, 80));
  }
  for (const el of document.querySelectorAll("mjx-merror")) {
    const container = el.closest("mjx-container");
    const source = container && container.parentElement
      ? container.parentElement.textContent.trim() : "";
    result.merrors.push(((el.getAttribute("data-mjx-error") || el.textContent.trim())
                         + (source ? " in " + source : "")).slice(0, 160));
  }
  // TeX that no math element holds: delimiters MyST did not turn into math (shown raw)
  const rawTex = /\\\(|\\\[|\$\$|\\begin\{|\$[^$\s][^$\n]{0,200}?[\\^_][^$\n]{0,200}?\$/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const skip = "pre, code, kbd, samp, script, style, textarea, .math, mjx-container, .highlight";
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue;
    if (text.length < 2 || !rawTex.test(text)) continue;
    if (node.parentElement && node.parentElement.closest(skip)) continue;
    result.rawTex.push(text.trim().slice(0, 80));
  }
  result.counts = {images: images.length, math: mathElements.length,
                   rendered: document.querySelectorAll("mjx-container").length};
  for (const a of document.querySelectorAll("a[href]")) {
    result.links.push([a.getAttribute("href"), a.href]);
  }
  for (const el of document.querySelectorAll("[id], a[name]")) {
    result.ids.push(el.id || el.getAttribute("name"));
  }
  return result;
}
"""


class CheckUnavailable(RuntimeError):
    """Chromium or Playwright is missing: the check cannot run (exit status 2)."""


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable: ``explicit``, $CHROMIUM, then the Debian package's paths."""
    candidates = [explicit] if explicit else (
        [os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else list(CHROMIUM_CANDIDATES))
    for candidate in candidates:
        path = candidate if os.sep in candidate else shutil.which(candidate)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise CheckUnavailable(f"no Chromium executable at {', '.join(candidates)}: {INSTALL_HINT}")


@dataclass
class Report:
    """What the check found: problems per page (relative path), and how long it took."""

    pages: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    links_checked: int = 0
    seconds: float = 0.0
    # per page: seconds to open and inspect it, images, math elements, rendered formulas, links
    details: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def add(self, page: str, problem: str) -> None:
        if problem not in self.problems[page]:
            self.problems[page].append(problem)

    def summary(self) -> str:
        per_page = self.seconds / len(self.pages) if self.pages else 0.0
        bad = sum(1 for page in self.pages if self.problems.get(page))
        lines = [f"{page}:\n" + "\n".join(f"  - {problem}" for problem in self.problems[page])
                 for page in self.pages if self.problems.get(page)]
        lines.append(f"{len(self.pages)} pages, {self.links_checked} internal links, "
                     f"{bad} pages with problems; {self.seconds:.1f} s ({per_page:.2f} s a page)")
        return "\n".join(lines)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a connection the browser dropped (a page left before its last file arrived)


def _serve(root: Path) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def list_pages(root: Path) -> list[str]:
    """Every .html file of the build, relative to it, except the theme's and extensions' files."""
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.html")
                  if not path.relative_to(root).parts[0].startswith(("_static", "_sources")))


REFRESH = re.compile(
    r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["']?\d+\s*;\s*url=([^"'>]+)""", re.I)


def redirect_target(path: Path) -> str | None:
    """The URL a page that redirects (a meta refresh, as jupyter-book's index.html) sends the
    reader to; None for a page that stays."""
    match = REFRESH.search(path.read_text(encoding="utf-8", errors="replace")[:4000])
    return match.group(1).strip() if match else None


def _target_file(root: Path, path: str) -> Path:
    target = root / unquote(path).lstrip("/")
    return target / "index.html" if path.endswith("/") or target.is_dir() else target


def check_site(root: Path | str, chromium: str | None = None, timeout_s: float = 30.0,
               pages: list[str] | None = None) -> Report:
    """Open every page of the build at ``root`` (or the given ``pages``, relative paths) and
    return what is broken. Raises CheckUnavailable when Chromium or Playwright is missing."""
    root = Path(root).resolve()
    executable = find_chromium(chromium)
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise CheckUnavailable(
            f"Playwright is not installed ({error}): it is in requirements.txt, `make setup` "
            "installs it") from error
    report = Report(pages=list_pages(root) if pages is None else list(pages))
    if not report.pages:
        raise CheckUnavailable(f"no .html page under {root}")

    started = time.perf_counter()
    server = _serve(root)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    current = {"page": ""}
    blocked: set[str] = set()
    missing: set[str] = set()  # local URLs that answered 404 (their images are not reported again)
    anchors: dict[str, set[str]] = {}
    links: list[tuple[str, str, str]] = []  # (page, href as written, resolved URL)

    def page_of(url: str) -> str:
        return unquote(urlsplit(url).path).lstrip("/")

    def route(route_, request):
        url = request.url
        if url.startswith(origin + "/") or url == origin or url.split(":", 1)[0] in (
                "data", "blob", "about"):
            route_.continue_()
        else:
            blocked.add(url)
            report.add(current["page"], f"request outside the book (blocked): {url}")
            route_.abort("blockedbyclient")

    def on_console(message):
        if message.type == "error" and not message.text.startswith(RESOURCE_ERROR):
            where = message.location.get("url", "") if message.location else ""
            where = f" ({page_of(where)}:{message.location.get('lineNumber', '?')})" \
                if where.startswith(origin) else ""
            report.add(current["page"], f"console error: {message.text}{where}")

    def on_page_error(error):
        report.add(current["page"], f"page error: {error}")

    def on_response(response):
        if response.url.startswith(origin) and response.status >= 400:
            missing.add(response.url)
            report.add(current["page"],
                       f"missing file (HTTP {response.status}): {page_of(response.url)}")

    def on_request_failed(request):
        # ERR_ABORTED: cancelled by leaving the page (or blocked, reported above); a missing file
        # answers 404 instead
        if request.url not in blocked and "ERR_ABORTED" not in (request.failure or ""):
            report.add(current["page"], f"request failed ({request.failure}): {request.url}")

    try:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(executable_path=executable)
            except PlaywrightError as error:
                raise CheckUnavailable(f"Chromium at {executable} did not start: {error}") \
                    from error
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", on_console)
            page.on("pageerror", on_page_error)
            page.on("response", on_response)
            page.on("requestfailed", on_request_failed)
            for name in report.pages:
                current["page"] = name
                page_started = time.perf_counter()
                target = redirect_target(root / name)
                if target is not None:  # opened, it would leave for the target at once
                    links.append((name, target, urljoin(f"{origin}/{name}", target)))
                    anchors[name] = set()
                    continue
                try:
                    response = page.goto(f"{origin}/{name}", wait_until="load",
                                         timeout=timeout_s * 1000)
                    if response is None or not response.ok:
                        continue  # reported by on_response
                    found = page.evaluate(INSPECT_PAGE, timeout_s * 1000)
                except PlaywrightError as error:
                    report.add(name, f"page did not load: {str(error).splitlines()[0]}")
                    continue
                for src in found["images"]:
                    if src not in missing and src not in blocked:
                        report.add(name, f"image did not load: {page_of(src) or src}")
                if found["math"]:
                    why = {"absent": "MathJax is not on the page",
                           "not started": "MathJax did not start (its script did not load?)",
                           "timeout": "MathJax did not finish"}.get(found["mathjax"],
                                                                    found["mathjax"])
                    if found["mathjax"] == "done":
                        why = "no mjx-container"
                    report.add(name, f"math not rendered ({why}): {len(found['math'])} "
                                     f'element(s), the first: "{found["math"][0]}"')
                for error in found["merrors"]:
                    report.add(name, f"math error: {error}")
                for text in found["rawTex"]:
                    report.add(name, f'math not rendered (TeX shown as text): "{text}"')
                anchors[name] = set(found["ids"])
                links.extend((name, href, url) for href, url in found["links"])
                report.details[name] = {"seconds": time.perf_counter() - page_started,
                                        **found["counts"], "links": len(found["links"])}
            current["page"] = ""
            context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()

    for name, href, url in links:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue  # another site (never fetched: the reader's browser goes there)
        report.links_checked += 1
        target = _target_file(root, parts.path)
        if not target.is_file():
            report.add(name, f"broken link: {href} (no file {target.relative_to(root)})")
            continue
        fragment = unquote(parts.fragment)
        if not fragment or target.suffix != ".html":
            continue
        target_name = target.relative_to(root).as_posix()
        if target_name not in anchors:  # a page that was not opened (under _static): read it
            anchors[target_name] = _ids_in_file(target)
        if fragment not in anchors[target_name]:
            report.add(name, f"broken link: {href} (no id {fragment!r} in {target_name})")
    report.seconds = time.perf_counter() - started
    return report


def _ids_in_file(path: Path) -> set[str]:
    import html.parser

    ids: set[str] = set()

    class Collect(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            for key, value in attrs:
                if key == "id" or (tag == "a" and key == "name"):
                    ids.add(value or "")

    Collect().feed(path.read_text(encoding="utf-8", errors="replace"))
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default="_build/html", help="the built HTML book")
    parser.add_argument("--chromium", help="the Chromium executable (default: $CHROMIUM, then "
                                           + ", ".join(CHROMIUM_CANDIDATES) + ")")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a page may take")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="a line per page: time, images, math (rendered), links")
    args = parser.parse_args(argv)
    try:
        report = check_site(args.root, chromium=args.chromium, timeout_s=args.timeout)
    except CheckUnavailable as error:
        print(f"check_html: cannot run: {error}", file=sys.stderr)
        return 2
    if args.verbose:
        for name, d in report.details.items():
            print(f"{d['seconds']:6.2f} s  {d['images']:3d} images  {d['math']:4d} math "
                  f"({d['rendered']:4d} rendered)  {d['links']:4d} links  {name}")
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
