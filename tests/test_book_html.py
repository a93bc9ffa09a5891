"""The built book as published (``_build/html``), read without a browser (issue 29, clean pages).

- no cell output on any page shows a Python warning (``...Warning:`` or ``warnings.warn(``);
- no page holds an absolute path of the machine that built it (its checkout, virtual environment,
  home folder, or any ``site-packages``);
- every progress bar shows one line: a bar's intermediate states (0%, 36%, ...) are never kept;
- the API page documents every public attack, defense and metric (function or class);
- figures, tables, equations and exercises are numbered per chapter with the chapter's file number
  ("Fig. 7.3" on chapter 7's page; chapter 0 is 0, appendix A is A).

``make browser-check`` builds the HTML from the ci-profile notebooks first when no build exists.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import re
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))
import api_modules  # noqa: E402

pytestmark = [pytest.mark.book,
              pytest.mark.skipif(not (HTML / "index.html").exists(), reason="no built book: run `make html`")]

WARNING = re.compile(r"\b[A-Z]\w*Warning\b|warnings\.warn\(")
BAR = re.compile(r"(?P<desc>[^\n%|]*?):?\s*(?P<pct>\d{1,3})%\|[^|\n]*\|\s*(?P<n>\d+)/(?P<total>\d+)")
NUMBERED = re.compile(r'class="caption-number">\s*(?:Fig\.|Table|Listing|Exercise)\s+([^\s<]+)'
                      r'|class="eqno">\((?P<eq>[^)]+)\)')


def _pages() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


class _Outputs(HTMLParser):
    """Text of every cell output block (``div.cell_output``), one string per block."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._depth = 0  # div nesting inside the current output block (0 = outside)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "div":
            return
        if self._depth:
            self._depth += 1
        elif "cell_output" in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.blocks[-1] += data


@functools.lru_cache(maxsize=64)
def outputs(page: Path) -> list[str]:
    parser = _Outputs()
    parser.feed(page.read_text(encoding="utf-8"))
    return [unescape(b) for b in parser.blocks]


def machine_paths() -> set[str]:
    """Absolute paths of this machine that a page must not show."""
    found = {str(ROOT), os.path.realpath(ROOT), sys.prefix, os.path.realpath(sys.prefix), sys.base_prefix}
    for link in (".venv", ".assets", ".cache"):
        if (ROOT / link).exists():
            found.add(os.path.realpath(ROOT / link))
    home = str(Path.home())
    if home not in ("/", ""):
        found.add(home + "/")
    return {p for p in found if len(p) > 4}


def stale_bar_lines(block: str) -> list[str]:
    """States of a progress bar followed by a later state of the same bar (the bar shows more than its
    final line). States are found anywhere in the text: separate outputs merged without a newline put
    several on one line."""
    bars = []
    for m in BAR.finditer(block):
        desc = re.sub(r"^.*[\]\n]", "", m.group("desc")).strip()
        bars.append((desc, int(m.group("n")), m.group(0).strip()))
    return [s for (d1, n1, s), (d2, n2, _) in zip(bars, bars[1:], strict=False) if d1 == d2 and n2 > n1]


def test_there_are_pages() -> None:
    assert len(_pages()) > 5


@pytest.mark.parametrize("page", _pages() if HTML.exists() else [], ids=lambda p: str(p.relative_to(HTML)))
def test_no_warning_in_any_output(page: Path) -> None:
    shown = [m.group(0) for b in outputs(page) for m in WARNING.finditer(b)]
    assert not shown, f"{page.name} shows warnings in its outputs: {sorted(set(shown))}"


@pytest.mark.parametrize("page", _pages() if HTML.exists() else [], ids=lambda p: str(p.relative_to(HTML)))
def test_no_absolute_path_of_the_build_machine(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    leaks = sorted(p for p in machine_paths() if p in text)
    for m in re.finditer(r"(?:site|dist)-packages/", text):  # (a bounded look: pages embed base64 images)
        leaks.append(text[max(0, m.start() - 80): m.end() + 40].split('"')[-1])
    assert not leaks, f"{page.name} shows paths of the build machine: {leaks[:5]}"


@pytest.mark.parametrize("page", _pages() if HTML.exists() else [], ids=lambda p: str(p.relative_to(HTML)))
def test_every_progress_bar_is_one_line(page: Path) -> None:
    stale = [line for b in outputs(page) for line in stale_bar_lines(b)]
    assert not stale, f"{page.name}: progress bars keep intermediate states: {stale[:3]}"


def test_stale_bar_detection() -> None:
    first = "train:   0%|          | 0/60 [00:00<?, ?it/s]"
    last = "train: 100%|##########| 60/60 [00:04<00:00, 12.60it/s]"
    assert stale_bar_lines(f"{first}\n{last}") == ["train:   0%|          | 0/60"]
    assert stale_bar_lines(f"{first}{last}") == ["train:   0%|          | 0/60"]  # merged, no newline
    assert stale_bar_lines(last) == []
    loop = "maps: 100%|###| 6/6 [00:00<00:00]\nmaps: 100%|###| 6/6 [00:00<00:00]\nfit: 100%|#| 3/3 [00:01]"
    assert stale_bar_lines(loop) == []  # one bar per loop iteration, each shown once


def _public(module: str) -> list[str]:
    mod = importlib.import_module(module)
    return [f"{module}.{name}" for name, obj in vars(mod).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module and name in getattr(mod, "__all__", [name])]


def test_api_page_documents_every_public_attack_defense_and_metric() -> None:
    page = HTML / "book" / "api.html"
    assert page.exists(), "book/api.md is missing from the build (is it in _toc.yml?)"
    ids = set(re.findall(r'id="(facerobust\.[^"]+)"', page.read_text(encoding="utf-8")))
    wanted = [obj for pkg in api_modules.PACKAGES for m in api_modules.modules(pkg) for obj in _public(m)]
    wanted += _public("facerobust.models.adapters") + _public("facerobust.validation")
    if (ROOT / "lib" / "facerobust" / "attacks" / "worst_case.py").exists():
        wanted.append(f"{api_modules.EVALUATION}.robust_accuracy")
    assert len(wanted) > 50
    missing = [w for w in wanted if w not in ids]
    assert not missing, f"not on the API page: {missing}"


def _chapter_pages() -> list[Path]:
    pages = (HTML / "book" / "chapters").glob("*.html")
    return sorted(p for p in pages if re.match(r"(\d\d|[A-Z])_", p.name))


@pytest.mark.parametrize("page", _chapter_pages() if HTML.exists() else [], ids=lambda p: p.stem)
def test_numbers_carry_the_chapter_number(page: Path) -> None:
    tag = page.name.split("_")[0]
    chapter = str(int(tag)) if tag.isdigit() else tag
    numbers = [a or b for a, b in NUMBERED.findall(page.read_text(encoding="utf-8"))]
    wrong = [n for n in numbers if not n.startswith(f"{chapter}.")]
    assert not wrong, f"{page.name}: numbers not of chapter {chapter}: {wrong[:5]}"


def test_code_lines_wrap_instead_of_running_off_the_page() -> None:
    css = (HTML / "_static" / "facerobust.css").read_text(encoding="utf-8")
    assert "pre-wrap" in css
    assert all("facerobust.css" in p.read_text(encoding="utf-8") for p in _chapter_pages())
