"""session.start: tables are shown in full (a claims rule is never cut to "...")."""

from __future__ import annotations

from html import escape as html_escape

import pandas as pd
from facerobust import session
from facerobust.experiments import claims as C


def test_claims_table_shows_the_whole_rule() -> None:
    session.start(seed=0, threads=1)
    rule = C.rate_at_least(9, 10, 0.5)
    row = C.claim("X1", "a statement long enough to be cut by pandas at fifty characters, and longer",
                  C.Paper("0.9", "a document, Table 1, and a long source description"), rule)
    html = C.table([row]).to_html()
    assert html_escape(rule.rule, quote=False) in html and "..." not in html
    assert pd.get_option("display.max_colwidth") is None


def test_table_floats_show_three_significant_digits() -> None:
    values = (0.990909, 6.067923e-06, 12.3456, 1234.5, 5.0, 0.05, -0.123456)
    want = ["0.991", "6.07e-06", "12.3", "1234", "5", "0.05", "-0.123"]
    assert [session.significant(v) for v in values] == want
    assert session.significant(float("nan")) == "nan"
    session.start(seed=0, threads=1)
    html = pd.DataFrame({"acc": [0.990909], "p": [6.067923e-06], "n": [1000]}).to_html()
    assert ">0.991<" in html and ">6.07e-06<" in html and ">1000<" in html and "0.990909" not in html


def test_claims_table_keeps_every_digit_its_rule_printed() -> None:
    """The display precision touches floats only; a claims table is strings, so "0.99091" stays."""
    session.start(seed=0, threads=1)
    judged = C.at_least(0.990909, 0.9909)
    row = C.claim("X2", "accuracy", C.Paper("0.9909", "Table 1"), judged)
    tab = C.table([row])
    assert all(tab[c].map(type).eq(str).all() for c in tab.columns)
    assert html_escape(judged.ours, quote=False) in tab.to_html()
