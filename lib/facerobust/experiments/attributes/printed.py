"""Numbers printed in Rozsa et al. (2016), for the "Paper vs this book" tables of chapters 01-03.
Transcribed from the paper's text, Fig. 2 discussion and Table I; nothing here is measured.
:data:`QUOTES` gives each claim's value as printed with the section and line it comes from."""

from __future__ import annotations

from ..claims import Paper

# Mean CelebA test error (%) over the 40 attributes (Sec. II / Fig. 2).
ERRORS = {
    "Euclidean (converged)": 9.20,
    "Euclidean (two epochs)": 9.78,
    "Softmax (converged)": 9.30,
    "LNet+ANet": 12.70,
    "FaceTracer": 18.88,
    "Trivial": 19.96,
}

# Table I: (loss, type) -> (two epochs, converged, overlap), summed over 40 attributes x 1000 images.
TABLE_I = {
    ("euclidean", "FGS+"): (6393, 8345, 4616),
    ("euclidean", "FGS-"): (2434, 2242, 1268),
    ("euclidean", "FFA+"): (13621, 13268, 9881),
    ("euclidean", "FFA-"): (2918, 2753, 1639),
    ("softmax", "FGS+"): (6833, 12047, 5896),
    ("softmax", "FGS-"): (2385, 2431, 1315),
    ("softmax", "FFA+"): (16371, 21218, 15259),
    ("softmax", "FFA-"): (2844, 2573, 1721),
}
PAIRS = 40 * 1000  # (attribute, image) pairs behind every Table-I count

# Natural adversarials (Sec. III-C): FFA- at two epochs that are not FFA- at convergence, and
# how many of those the converged networks classify correctly; share among misclassified images.
NATURAL_LOST, NATURAL_LEARNT, NATURAL_SHARE = 1279, 1048, 0.73
# Fig. 4 (right): on average more than 30 % of two-epoch adversarials stay adversarial.
STILL_ADVERSARIAL = 0.30
# Fig. 4 (left), text: 26% of the adversarial samples for Goatee also flip No Beard.
GOATEE_NO_BEARD = 0.26

# ---------------------------------------------------------------- values as printed, with their lines
# Lines of /work/shared/seeds/rozsa2016-are-facial-attributes-adversarially-robust.md (the paper's
# text as the book's source documents hold it).
DOC = "Rozsa et al. 2016"


def _at(where: str) -> str:
    return f"{DOC}, {where}"


def _sum(loss: str, method: str, stage: int) -> int:
    """Table I: FGS+ + FGS- (or FFA) at two epochs (stage 0) or converged (1): the text's totals."""
    return sum(TABLE_I[(loss, f"{method}{s}")][stage] for s in ("+", "-"))


QUOTES = {
    "beats_trivial": Paper("bars of Fig. 2 (no number printed)", _at("Fig. 2, l. 68; text l. 92-96")),
    "relative_gain": Paper("54% better than Trivial", _at("Sec. II-B, l. 94-96")),
    "convergence": Paper(f"{ERRORS['Euclidean (two epochs)']:.2f}% -> "
                         f"{ERRORS['Euclidean (converged)']:.2f}%, p < 1e-10 (paired T-test)",
                         _at("Sec. IV, l. 167")),
    "softmax_error": Paper(f"{ERRORS['Softmax (converged)']:.2f}% vs {ERRORS['Euclidean (converged)']:.2f}%, "
                           "p ~ 0.0003, 'not statistically significant'", _at("Sec. IV, l. 179")),
    "ffa_vs_fgs": Paper(f"FFA {_sum('euclidean', 'FFA', 1)} vs FGS {_sum('euclidean', 'FGS', 1)}",
                        _at("Table I (l. 150-157), converged Euclidean, + and - summed")),
    "fgs_in_ffa": Paper("'almost all'", _at("Sec. III-C, l. 143")),
    "robust_spread": Paper("'most' images (Big Nose, Young) vs none (Wavy Hair, Wearing Necklace)",
                           _at("Sec. III-C, l. 143; Fig. 3")),
    "natural_more": Paper("'more often' (Fig. 3)", _at("Sec. III-C, l. 143")),
    "training": Paper(f"FGS {_sum('euclidean', 'FGS', 0)} -> {_sum('euclidean', 'FGS', 1)}, "
                      f"FFA {_sum('euclidean', 'FFA', 0)} -> {_sum('euclidean', 'FFA', 1)}",
                      _at("Sec. III-C, l. 145; Table I")),
    "softmax_vulnerable": Paper(f"FFA {_sum('softmax', 'FFA', 1)} vs {_sum('euclidean', 'FFA', 1)}; "
                                f"FGS {_sum('softmax', 'FGS', 1)} vs {_sum('euclidean', 'FGS', 1)}",
                                _at("Sec. IV, l. 179; Table I")),
    "natural_share": Paper(f"nearly {NATURAL_SHARE:.0%}", _at("Sec. I, l. 50")),
    "natural_persist": Paper("'half of the images ... were not corrected'", _at("Sec. III-C, l. 161")),
    "natural_learnt": Paper(f"the majority ({NATURAL_LEARNT} of {NATURAL_LOST})", _at("Sec. III-C, l. 161")),
    "still_adversarial": Paper(f"more than {STILL_ADVERSARIAL:.0%}", _at("Sec. IV, l. 177; Fig. 4 right")),
    "mostly_specific": Paper("'most of the perturbations for one attribute do not influence other "
                             "attributes'", _at("Sec. IV, l. 173")),
    "goatee": Paper(f"{GOATEE_NO_BEARD:.0%} of Goatee adversarials flip No_Beard", _at("Sec. IV, l. 173")),
    "portability_rises": Paper("portability 'even increased' (two-epoch adversarials)",
                               _at("Sec. IV, l. 177")),
}
