"""Print the single-page HTML book to one PDF with headless Chromium (``make pdf``).

``make pdf`` builds the book with Jupyter Book's ``singlehtml`` builder, then this script has
Debian's Chromium print it (``--print-to-pdf``, the flags of the project's toolchain notes), with a
virtual-time budget long enough for MathJax to typeset every equation first. The book's print
stylesheet (``book/_static/facerobust.css``) drops the sidebars and shows every solution.

    python tools/print_pdf.py _build/singlehtml _build/pdf/book.pdf

Jupyter Book writes the single page at the root document's path (``book/intro.html``) but links its
styles and images relative to the output folder, so the page is printed from a copy at the top.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer"]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def page_count(pdf: Path) -> int:
    """Pages of a PDF Chromium wrote (its page objects are plain ``/Type /Page`` dictionaries)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf.read_bytes()))


def single_page(out: Path) -> Path:
    """A copy, at the top of the ``singlehtml`` output ``out``, of the page its index redirects to."""
    index = out / "index.html"
    m = re.search(r'url=([^"]+)"', index.read_text(encoding="utf-8")) if index.exists() else None
    if m is None:
        raise SystemExit(f"error: no single-page book in {out}: build it first (make pdf does)")
    page = out / "book-print.html"
    page.write_text((out / m.group(1)).read_text(encoding="utf-8"), encoding="utf-8")
    return page


def print_pdf(out: Path, pdf: Path, budget_ms: int = 120_000) -> int:
    browser = chromium()
    if browser is None:
        raise SystemExit("error: `make pdf` needs headless Chromium: apt-get install chromium (Debian)")
    html = single_page(out)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf.with_suffix(".tmp.pdf")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                        f"--print-to-pdf={tmp}", html.resolve().as_uri()],
                       check=True, capture_output=True, timeout=1800)
    if not tmp.exists() or page_count(tmp) == 0:
        raise SystemExit(f"error: Chromium wrote no PDF for {html}")
    tmp.replace(pdf)
    return page_count(pdf)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    pages = print_pdf(Path(argv[0]), Path(argv[1]))
    print(f"{argv[1]}: {pages} pages, printed in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
