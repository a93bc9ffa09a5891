"""The rendered book, as a reader's browser sees it (needs ``_build/html`` and headless Chromium).

``make test`` builds the HTML from the ci-profile notebooks first when no build exists, and the PDF
(``make pdf``) when Chromium is there. Each page is loaded in headless Chromium; the test checks that
every internal link and image resolves and that MathJax typeset the math (no raw ``\\(`` left in the
rendered text), that the API page renders the attacks' signatures, that an exercise's solution is
folded until the reader opens it, and opens the PDF's first page in Chromium's PDF viewer.
Screenshots (introduction, chapter 0, the API page, an exercise with its solution open, the PDF's
first page) are written to ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
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


def _screenshot(url: str, target: Path, height: int = 1600) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=8000",
                        f"--window-size=1280,{height}", f"--screenshot={target}", url],
                       capture_output=True, timeout=120)


def test_api_page_renders_the_attacks() -> None:
    page = HTML / "book" / "api.html"
    dom = _dump_dom(page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", dom, flags=re.S)))
    assert "facerobust.attacks.fgsm." in text and "AttackResult" in text
    assert re.search(r"fgsm\s*\(\s*model", text), "fgsm's signature is not on the rendered API page"
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    _screenshot(page.as_uri(), shots / "api.png", 1800)
    assert (shots / "api.png").stat().st_size > 10_000


# Opens the first solution of the page, measuring its height before and after the click, then
# scrolls its exercise into view.
_OPEN_SOLUTION = """(async () => {
  const sol = document.querySelector(".solution.dropdown");
  const state = () => ({height: sol.querySelector("section").getBoundingClientRect().height,
                        hidden: sol.classList.contains("toggle-hidden")});
  const before = state();
  sol.querySelector("button.toggle-button").click();
  await new Promise(r => setTimeout(r, 1000));
  const after = state();
  sol.previousElementSibling.scrollIntoView();
  await new Promise(r => setTimeout(r, 300));
  return {before, after};
})()"""


def _exercise_page() -> Path:
    pages = [p for p in sorted((HTML / "book" / "chapters").glob("*.html"))
             if 'class="solution dropdown' in p.read_text(encoding="utf-8")]
    assert pages, "no page has an exercise with a folded solution"
    return pages[0]


def test_solution_is_folded_until_opened() -> None:
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    got = asyncio.run(_cdp(_exercise_page().as_uri(), 4, _OPEN_SOLUTION, shots / "exercise_open.png", 1400))
    assert got["before"]["hidden"] and got["before"]["height"] == 0, f"shown before a click: {got}"
    assert not got["after"]["hidden"] and got["after"]["height"] > 20, f"solution did not open: {got}"
    assert (shots / "exercise_open.png").stat().st_size > 10_000


PDF = ROOT / "_build" / "pdf" / "book.pdf"


async def _cdp(url: str, wait_s: float, script: str | None = None, target: Path | None = None,
               height: int = 1300) -> Any:
    """Open ``url`` in Chromium over the DevTools protocol; after ``wait_s`` seconds of real time run
    ``script`` (its value is returned) and screenshot the page into ``target``. Real time, since the
    PDF viewer renders out of process: ``--screenshot``'s virtual time sees it blank."""
    from tornado.websocket import websocket_connect  # the notebook stack's websocket client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--remote-debugging-port={port}",
                                 f"--user-data-dir={profile}", f"--window-size=1280,{height}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(150):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2) as r:
                        targets = json.load(r)
                    break
                except OSError:
                    time.sleep(0.2)
            ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            ws = await websocket_connect(ws_url, max_message_size=200_000_000)
            ids = iter(range(1, 100))

            async def call(method: str, **params: Any) -> dict[str, Any]:
                n = next(ids)
                await ws.write_message(json.dumps({"id": n, "method": method, "params": params}))
                while (msg := json.loads(await ws.read_message())).get("id") != n:
                    pass
                return msg.get("result", {})

            await call("Page.navigate", url=url)
            await asyncio.sleep(wait_s)
            value = None
            if script:
                res = await call("Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True)
                value = res.get("result", {}).get("value")
            if target is not None:
                target.write_bytes(base64.b64decode((await call("Page.captureScreenshot"))["data"]))
            return value
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.mark.skipif(not PDF.exists(), reason="no PDF: run `make pdf`")
def test_pdf_first_page_opens() -> None:
    data = PDF.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data)) > 10
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    target = shots / "pdf_page1.png"
    asyncio.run(_cdp(PDF.as_uri(), 8, target=target))
    assert target.stat().st_size > 30_000, "Chromium's PDF viewer showed a blank page"
