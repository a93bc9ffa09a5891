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
