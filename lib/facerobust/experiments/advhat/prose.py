"""Chapter 8 (AdvHat): the sentences the chapter glues into its prose, one builder per sentence.

Each builder returns a phrase that reads right for every value it can be given (issue 28: a glued
phrase must make a correct sentence whatever a run gives); ``tests/test_advhat_prose.py`` renders
every case.
"""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 face``, ``6 faces`` (``plural`` for irregular nouns)."""
    if n < 0:
        raise ValueError(f"a count is >= 0, got {n}")
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def faces(n: int) -> str:
    """The number of faces a result rests on: ``1 face``, ``6 faces``."""
    return count(n, "face")


def drop_scale(same: float, different: float, drop: float = 0.2) -> str:
    """How a cosine drop of ``drop`` compares with the descriptor's own scale: the gap between the
    mean cosine of two photos of one person (``same``) and of two different people (``different``)."""
    gap = same - different
    side = "further than" if drop > gap else "no further than"
    return (f"a drop of {drop:g} moves a face {side} the gap between two photos of one person and two "
            f"photos of different people ({gap:.2f})")


def capped(n_capped: int, n_runs: int) -> str:
    """Whether the profile's step cap, rather than the official slope rule, ended stage 1."""
    if n_runs < 1 or not 0 <= n_capped <= n_runs:
        raise ValueError(f"need 0 <= n_capped <= n_runs and n_runs >= 1, got {n_capped}, {n_runs}")
    if n_capped == 0:
        every = "the one run" if n_runs == 1 else f"every one of the {n_runs} runs"
        return (f"The slope rule ended stage 1 in {every}, as in the official schedule: the caps of this "
                "profile did not cut a falling loss short.")
    if n_capped == n_runs:
        which = "the one run" if n_runs == 1 else f"all {n_runs} runs"
        whose = "its" if n_runs == 1 else "their"
    else:
        which, whose = f"{n_capped} of the {n_runs} runs", "their"
    return (f"In {which} the cap ended stage 1, not the slope rule, i.e. while the loss was still falling; "
            f"the official schedule (`full`) would have run on, lowering {whose} cosines further than this "
            "profile does.")
