"""What the dissertation's Chapter 3 says (it prints no numbers): every statement of the CRISPR
chapter's claims table as quoted from ``seeds/samangouei-dissertation-attributes-semantic-gap.txt``,
with its line numbers. Nothing here is measured; :mod:`.claims_table` judges the statements.
"""

from __future__ import annotations

from ..claims import Paper

DOC = "Samangouei dissertation"
PAPER = {
    "swap": Paper("a swap on attribute i is S(x, i) -> x^ with C_oracle(x, i) != C_oracle(x^, i)",
                  f"{DOC} Sec. 3.3, lines 2767-2769"),
    "diverse": Paper("subsequent invocations of S produce x^ and x^' such that x^ != x^'",
                     f"{DOC} Sec. 3.3, lines 2769-2771"),
    "diverse_target": Paper("a Diverse Swap adheres to the same constraint [as a Swap]",
                            f"{DOC} Sec. 3.3, line 2769"),
    "atomic": Paper("sampling largely produces coherent attributes; one failure (one lens light, "
                    "the other dark) suggests the space is not atomic", f"{DOC} Sec. 3.6, lines 3226-3232"),
    "borrow": Paper("attribute i is borrowed from exemplar image x_exemplar to image x",
                    f"{DOC} Sec. 3.3, lines 2791-2803; Fig. 3.5"),
    "inv": Paper("C_inv is unable to identify the attributes from any input images",
                 f"{DOC} Sec. 3.4.2, lines 2885-2890"),
    "attr": Paper("C_attr(j)(a_i) = 0.5 for j != i (maximally confused about the other attributes)",
                  f"{DOC} Sec. 3.4.3, lines 2940-2955"),
    "celeba": Paper("on CelebA, plausible Diverse Swaps of bangs and eyeglasses and Borrows of the smile "
                    "(pictures only; a classifier trained on 2k validation images)",
                    f"{DOC} Sec. 3.5, lines 3186-3249; Figs. 3.3-3.5"),
}
