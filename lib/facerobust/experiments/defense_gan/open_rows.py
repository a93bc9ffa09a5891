"""What would decide the Defense-GAN rows that stay inconclusive for a setting of ours (issue 28),
written into each row's note: the dissertation's projection (``L``, ``R``) or its generator (width
and iterations, far beyond two CPU cores). Rows that more test images would decide say so through
:func:`facerobust.experiments.claims.deciding.note`. The rules are unchanged (:mod:`.claims_table`
decides every row); this only writes notes.
"""

from __future__ import annotations


def bigger_generator(width: int, iters: int, paper_width: int, paper_iters: int) -> str:
    """The note of a Rec row that fails at our generator's budget: more images cannot decide it
    (its interval lies below the paper's value); only the dissertation's generator can, whose
    training costs about (width ratio)^2 x (iteration ratio) ours (a convolution's cost grows with
    the square of its width)."""
    if width <= 0 or iters <= 0:
        raise ValueError(f"need a positive width and iteration count, got {width}, {iters}")
    f = (paper_width / width) ** 2 * paper_iters / iters
    return (f"more images cannot decide it (its interval lies below the paper's value); the "
            f"dissertation's generator can: width {paper_width}, {paper_iters:,} iterations, about "
            f"{f:,.0f}x our generator's training compute, a GPU's work")


def paper_projection(L: int, R: int, paper_L: int, paper_R: int, stage: str) -> str:
    """The note of a row run at another ``L``, ``R`` than the dissertation's: the projection it
    needs and how many times the generator passes of each attack step that costs."""
    if L <= 0 or R <= 0:
        raise ValueError(f"need positive L and R, got {L}, {R}")
    f = paper_L * paper_R / (L * R)
    return (f"deciding it needs the dissertation's projection, L={paper_L}, R={paper_R}: {f:.0f}x "
            f"the generator passes of every attack step ({stage} time grows in proportion)")
