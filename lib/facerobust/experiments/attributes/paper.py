"""Numbers printed in Rozsa et al. (2016), for the "Paper vs this book" tables of chapters 01-03.
Transcribed from the paper's text, Fig. 2 discussion and Table I; nothing here is computed."""

from __future__ import annotations

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
