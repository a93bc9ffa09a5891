"""Numbers printed in Samangouei's dissertation, Chapter 4 (ExplainGAN), with the line of the seed
text ``seeds/samangouei-dissertation-attributes-semantic-gap.txt`` they stand on. Nothing here is
computed. ``None`` is a cell printed as "-" or "N/A"."""

from __future__ import annotations

DOC = "Samangouei dissertation"
THRESHOLDS = (0.5, 0.7, 0.9)

# Table 4.1, MNIST columns (t = 0.5, 0.7, 0.9); Grad-CAM's dash placed at t = 0.9 (spec's reading).
TABLE_4_1 = {
    "gradient": ((1474, 1563, 240), 3995),
    "grad_cam": ((17.2, 8, None), 3997),
    "saliency": ((817, 718, 126), 3999),
    "occlusion": ((2099, 1946, 1486), 4001),
    "lrp": ((1736, 1478, 244), 4003),
    "explaingan": ((2622, 2083, 1474), 4005),
}
METHOD_NAMES = {"gradient": "Grad (input x gradient)", "grad_cam": "Grad-CAM", "saliency": "Saliency",
                "occlusion": "Occlusion", "lrp": "LRP", "explaingan": "ExplainGAN"}

# Table 4.2: (dataset, class 0, class 1) -> (Transformed 0, Transformed 1, Composite 0, Composite 1,
# Ceiling), line.
TABLE_4_2 = {
    ("mnist5k", "3", "8"): ((99.6, 99.1, 99.3, 98.9, 99.9), 4038),
    ("mnist5k", "4", "9"): ((98.6, 99.0, 98.6, 98.5, 99.0), 4040),
    ("mnist5k", "3", "5"): ((98.5, 99.3, 98.2, 98.2, 99.2), 4042),
    ("fashion", "coat", "pullover"): ((75.8, 73.7, 84.8, 69.1, 94.1), 4034),
    ("fashion", "coat", "shirt"): ((79.7, 78.5, 71.8, 77.2, 91.7), 4036),
    ("celeba", "no Eyeglasses", "Eyeglasses"): ((93.6, 96.2, 96.05, 96.2, 96.5), 4028),
    ("celeba", "no Mustache", "Mustache"): ((76.65, 75.2, 74.05, 71.4, 83.9), 4030),
    ("celeba", "no Black_Hair", "Black_Hair"): ((75.65, 74.8, 79.05, 77.4, 84.3), 4032),
}
TABLE_4_2_COLUMNS = ("Transformed 0", "Transformed 1", "Composite 0", "Composite 1", "Ceiling")

# Table 4.3 (Ultrasound only): variant -> (T0, T1, Both T, C0, C1, Both C), line.
TABLE_4_3 = {
    "cyclegan": ((94, 64, 84.1, None, None, None), 4112),
    "norec": ((94.5, 83.9, 96.1, None, None, None), 4114),
    "nomask": ((93.9, 97.3, 95.1, None, None, None), 4116),
    "full": ((95.5, 94.2, 97.3, 91.4, 95.6, 91.4), 4118),
}
TABLE_4_3_CEILING = 99.7

# Prose claims and where they stand.
CLASSIFIER_LOSS_LINE = 3649  # (4.9): composites should be classified as the other class
COUNT_LINE = 3712         # (4.14): kappa, the expected fraction of changed pixels
ON_PAR_LINE = 3982        # "ExplainGAN performs on par with other explanation methods"
NEAR_PERFECT_LINE = 4122  # "nearly perfectly substitutable on MNIST, the Ultrasound dataset, and CelebA ..."


def source(line: int, what: str = "") -> str:
    """The citation of one printed value: document, table or section, seed line."""
    return f"{DOC}, {what + ', ' if what else ''}seed line {line}"
