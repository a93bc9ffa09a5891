"""Compare two builds of the book cell by cell: are they the same computation?

    python tools/compare_builds.py BUILD_A BUILD_B [--sanitize tests/nbval-sanitize.cfg]

BUILD_A and BUILD_B are folders of executed chapters (``NN_name.ipynb``, e.g. two copies of
``book/chapters/``). For every chapter in both, it compares

* the output-checked cells (tagged ``nbval-check-output`` or holding ``# NBVAL_CHECK_OUTPUT``): their
  text outputs after the sanitize rules nbval applies (wall times, rates, addresses, paths);
* every "Paper vs this book" table: each claim's measured value and verdict;
* every other text output, reported separately (informational: timings and progress lines differ).

Prints one line per chapter and the differences, and exits 1 if an output-checked cell or a claims
row differs. Issue 28's acceptance runs it on an idle and a loaded cold build of one commit.
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

CLAIM_COLUMNS = {"id", "this book", "verdict"}


def sanitizers(path: Path) -> list[tuple[re.Pattern[str], str]]:
    cfg = configparser.ConfigParser()
    cfg.read(path)
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def _text(out: dict, rules: list[tuple[re.Pattern[str], str]]) -> str:
    if out.get("output_type") == "stream":
        txt = "".join(out.get("text", ""))
    else:
        data = out.get("data", {})
        txt = "".join(data.get("text/plain", "")) if "text/plain" in data else ""
    for rx, rep in rules:
        txt = rx.sub(rep, txt)
    return txt.strip()


def _checked(cell: dict) -> bool:
    return ("nbval-check-output" in cell.get("metadata", {}).get("tags", [])
            or "NBVAL_CHECK_OUTPUT" in "".join(cell.get("source", "")))


class _Tables(HTMLParser):
    """The rows (lists of cell texts) of every <table> in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def claims_rows(cell: dict) -> dict[str, tuple[str, str]]:
    """``id -> (this book, verdict)`` of every claims table the cell shows."""
    rows: dict[str, tuple[str, str]] = {}
    for out in cell.get("outputs", []):
        html = "".join(out.get("data", {}).get("text/html", ""))
        if "verdict" not in html or "<table" not in html:
            continue
        parser = _Tables()
        parser.feed(html)
        for table in parser.tables:
            head = next((r for r in table if CLAIM_COLUMNS <= set(r)), None)
            if head is None:
                continue
            at = {name: head.index(name) for name in CLAIM_COLUMNS}
            for r in table[table.index(head) + 1:]:
                r = r[len(r) - len(head):] if len(r) > len(head) else r  # drop the index column
                if len(r) == len(head):
                    rows[r[at["id"]]] = (r[at["this book"]], r[at["verdict"]])
    return rows


def compare(a: Path, b: Path, rules: list[tuple[re.Pattern[str], str]]) -> tuple[list[str], list[str]]:
    """(hard differences, other differences) between two executed notebooks of one chapter."""
    ca, cb = (json.loads(p.read_text())["cells"] for p in (a, b))
    code_a = [c for c in ca if c["cell_type"] == "code"]
    code_b = [c for c in cb if c["cell_type"] == "code"]
    if len(code_a) != len(code_b):
        return [f"{len(code_a)} vs {len(code_b)} code cells: not the same source"], []
    hard: list[str] = []
    soft: list[str] = []
    for i, (x, y) in enumerate(zip(code_a, code_b, strict=True)):
        ta = [_text(o, rules) for o in x.get("outputs", [])]
        tb = [_text(o, rules) for o in y.get("outputs", [])]
        if ta != tb:
            (hard if _checked(x) else soft).append(f"cell {i} ({x.get('id', '?')}) output differs")
        ra, rb = claims_rows(x), claims_rows(y)
        for cid in sorted(set(ra) | set(rb)):
            if ra.get(cid) != rb.get(cid):
                hard.append(f"claim {cid}: {ra.get(cid)} vs {rb.get(cid)}")
    return hard, soft


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--sanitize", type=Path, default=Path(__file__).parents[1] / "tests/nbval-sanitize.cfg")
    args = ap.parse_args(argv)
    rules = sanitizers(args.sanitize)
    found = [{p.name for p in d.glob("[0-9][0-9]_*.ipynb")} for d in (args.a, args.b)]
    names = sorted(found[0] & found[1])
    if not names:
        print("no chapter notebooks found in both folders", file=sys.stderr)
        return 2
    bad = 0
    for name in names:
        hard, soft = compare(args.a / name, args.b / name, rules)
        status = "identical" if not hard else f"{len(hard)} difference(s)"
        print(f"{name}: {status} (checked cells and claims); {len(soft)} other cell(s) differ")
        for line in hard:
            print(f"  - {line}")
        bad += bool(hard)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
