"""The records of a claims table: the four verdicts, :class:`Paper` (a value as a document prints it,
and where), :class:`Judgement` (a rule's outcome), :class:`Claim` (one row) and the table itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

HOLDS = "holds"
FAILS = "does not hold"
INCONCLUSIVE = "inconclusive"
UNTESTABLE = "not testable here"
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE, UNTESTABLE)
COLUMNS = ["id", "claim", "paper", "source", "this book", "rule", "verdict", "note"]


@dataclass(frozen=True)
class Paper:
    """A value as the document prints it (``"0.988"``, ``"most"``) and where: document and line."""

    value: str
    source: str


@dataclass(frozen=True)
class Judgement:
    """The outcome of one rule: the verdict, our value as shown (with its interval) and the rule.

    ``undecided``: when the verdict is inconclusive because an interval straddles its threshold,
    each such interval (its part's label, ``""`` for a single one) and how many times its sample it
    would need to clear the threshold if the estimate stayed (:func:`.deciding.sample_factor`;
    ``inf`` when the estimate sits on the threshold). Empty when the verdict is decided or is
    inconclusive for another reason (a setting unlike the paper's, too few seeds). It writes the
    note of what would decide a row; it takes no part in the verdict or in equality."""

    verdict: str
    ours: str
    rule: str
    undecided: tuple[tuple[str, float], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass(frozen=True)
class Claim:
    """One row of a chapter's "Paper vs this book" table."""

    id: str
    statement: str
    paper: Paper
    judgement: Judgement
    note: str = ""

    @property
    def verdict(self) -> str:
        return self.judgement.verdict

    def row(self) -> dict[str, str]:
        j = self.judgement
        return {"id": self.id, "claim": self.statement, "paper": self.paper.value,
                "source": self.paper.source, "this book": j.ours, "rule": j.rule,
                "verdict": j.verdict, "note": self.note}


def claim(id: str, statement: str, paper: Paper, judgement: Judgement, note: str = "") -> Claim:
    """Build a :class:`Claim` (a shorthand that keeps chapter code on one line per claim)."""
    return Claim(id, statement, paper, judgement, note)


def table(claims: Iterable[Claim]) -> pd.DataFrame:
    """The chapter's claims table, one row per claim, with the columns of :data:`COLUMNS`."""
    rows = [c.row() for c in claims]
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"claim ids must be unique, got {ids}")
    return pd.DataFrame(rows, columns=COLUMNS)


def counts(claims: Iterable[Claim]) -> dict[str, int]:
    """How many claims got each verdict (every verdict present, zeros included)."""
    out = dict.fromkeys(VERDICTS, 0)
    for c in claims:
        out[c.verdict] += 1
    return out


def seed_table(per_seed: Sequence[Mapping[str, Any]],
               across: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """A seed study's verdicts, one row per claim: its verdict on each seed (``per_seed``: records
    with ``seed`` and ``verdicts`` {claim: {"verdict": ...}}) and the verdict decided across seeds
    (``across``: {claim: {"verdict": ...}})."""
    rows = {cid: {f"seed {r['seed']}": r["verdicts"][cid]["verdict"] for r in per_seed} for cid in across}
    for cid, r in across.items():
        rows[cid]["across seeds"] = r["verdict"]
    return pd.DataFrame(rows).T.rename_axis("claim")
