"""The rendered book, as a reader's browser sees it (needs ``_build/html`` and headless Chromium).

``make test`` builds the HTML from the ci-profile notebooks first when no build exists. Each page
is loaded in headless Chromium; the test checks that every internal link and image resolves and that
MathJax typeset the math (no raw ``\\(`` left in the rendered text). Screenshots of the introduction
and of chapter 0 are written to ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="headless Chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (HTML / "index.html").exists(),
                       reason="no built book: run `make book PROFILE=ci`"),
]


def _pages() -> list[Path]:
    skip = {"genindex.html", "search.html"}
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts
                  and p.name not in skip)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "img" and a.get("src"):
            self.images.append(a["src"] or "")


def _local_target(page: Path, ref: str) -> Path | None:
    url = urlparse(ref)
    if url.scheme or ref.startswith(("#", "mailto:", "//")) or not url.path:
        return None
    return (page.parent / unquote(url.path)).resolve()


def _dump_dom(page: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=8000", "--dump-dom",
             page.as_uri()],
            capture_output=True, text=True, timeout=120,
        )
    return out.stdout


CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))  # 00_setup ... 10_report_card


def test_book_has_chapters() -> None:
    names = {p.name for p in _pages()}
    assert "intro.html" in names
    missing = [c for c in CHAPTERS if f"{c}.html" not in names]
    assert not missing, f"chapters missing from the built book: {missing}"


def test_intro_short_answer_is_filled_from_the_report_card() -> None:
    """Every cell of the introduction's short answer shows a value glued from chapter 10."""
    page = (HTML / "book" / "intro.html").read_text(encoding="utf-8")
    start = page.find('id="the-short-answer"')
    assert start >= 0, "the introduction has no short answer"
    section = page[start:page.find("<section", start + 1)]
    text = html.unescape(re.sub(r"<[^>]+>", " ", section))
    assert "sa_" not in text and "10_report_card.ipynb" not in text, "an unresolved glue reference"
    assert re.search(r"\d\.\d\d", text), "no glued accuracy in the short answer"


@pytest.mark.parametrize("page", _pages() if HTML.exists() else [], ids=lambda p: str(p.relative_to(HTML)))
def test_internal_links_and_images_resolve(page: Path) -> None:
    refs = _Refs()
    refs.feed(page.read_text(encoding="utf-8"))
    broken = [r for r in refs.links + refs.images if (t := _local_target(page, r)) and not t.exists()]
    assert not broken, f"broken internal references: {broken[:5]}"
    for src in refs.images:
        t = _local_target(page, src)
        assert t is None or t.stat().st_size > 0, f"empty image {src}"


@pytest.mark.parametrize("page", _pages() if HTML.exists() else [], ids=lambda p: str(p.relative_to(HTML)))
def test_math_is_typeset(page: Path) -> None:
    raw = page.read_text(encoding="utf-8")
    if "\\(" not in raw and "\\[" not in raw and 'class="math' not in raw:
        pytest.skip("page has no math")
    dom = _dump_dom(page)
    assert dom, "Chromium returned no DOM"
    body = re.sub(r"<script.*?</script>", "", dom, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    assert "mjx-container" in dom, "MathJax did not run (is sphinx-mathjax-offline configured?)"
    assert "\\(" not in text and "\\[" not in text, "raw TeX left in the rendered page"


def test_screenshots_of_intro_and_chapter0() -> None:
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for name in ("book/intro.html", "book/chapters/00_setup_and_data.html",
                 "book/chapters/10_report_card.html"):
        page = HTML / name
        target = shots / (Path(name).stem + ".png")
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=8000",
                            "--window-size=1280,1600", f"--screenshot={target}", page.as_uri()],
                           capture_output=True, timeout=120)
        assert target.exists() and target.stat().st_size > 10_000, f"no screenshot of {name}"
