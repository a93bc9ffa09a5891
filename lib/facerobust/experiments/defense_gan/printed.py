"""The dissertation's Defense-GAN numbers that the chapter's claims table compares with.

Each value is as printed, with the table and the line of the text seed
``samangouei-dissertation-attributes-semantic-gap.txt`` (``/work/shared/seeds``) it comes from.
Tables 5.1-5.4 use classifier models A-D; the L, R and eps sweeps (Tables 5.3, 5.8-5.11) use
Model F, which this book does not build: rows compared with them say so.
"""

from __future__ import annotations

from dataclasses import dataclass

DOC = "Samangouei dissertation"


@dataclass(frozen=True)
class Value:
    """A number as printed and where it is printed."""

    text: str
    source: str

    @property
    def value(self) -> float:
        return float(self.text.split("±")[0])


def _v(text: str, table: str, line: int) -> Value:
    return Value(text, f"{DOC}, {table}, line {line}")


# Table 5.4 (white-box, L = 200, R = 10), model A: (no attack, no defense, Defense-GAN-Rec, MagNet, adv. tr.)
WHITEBOX = {
    ("mnist5k", "FGSM"): {
        "Defense-GAN-Rec": _v("0.988", "Table 5.4 (MNIST, FGSM eps=0.3, A)", 5355),
        "MagNet": _v("0.191", "Table 5.4 (MNIST, FGSM eps=0.3, A)", 5355),
        "No defense": _v("0.217", "Table 5.4 (MNIST, FGSM eps=0.3, A)", 5355),
    },
    ("mnist5k", "RAND+FGSM"): {"Defense-GAN-Rec": _v("0.988", "Table 5.4 (MNIST, RAND+FGSM, A)", 5361)},
    ("mnist5k", "CW-L2"): {
        "Defense-GAN-Rec": _v("0.989", "Table 5.4 (MNIST, CW, A)", 5367),
        "MagNet": _v("0.038", "Table 5.4 (MNIST, CW, A)", 5367),
        "Adv. tr. eps=0.3": _v("0.077", "Table 5.4 (MNIST, CW, A)", 5367),
        "No defense": _v("0.141", "Table 5.4 (MNIST, CW, A)", 5367),
    },
    ("fashion_mnist", "FGSM"): {"Defense-GAN-Rec": _v("0.879", "Table 5.4 (F-MNIST, FGSM eps=0.3, A)", 5391)},
    ("fashion_mnist", "RAND+FGSM"): {
        "Defense-GAN-Rec": _v("0.888", "Table 5.4 (F-MNIST, RAND+FGSM, A)", 5396)
    },
    ("fashion_mnist", "CW-L2"): {"Defense-GAN-Rec": _v("0.896", "Table 5.4 (F-MNIST, CW, A)", 5403)},
}

# Tables 5.1 / 5.2 (black-box FGSM eps = 0.3, L = 200, R = 10): (Defense-GAN-Rec, Defense-GAN-Orig)
BLACKBOX = {
    ("mnist5k", "A/B"): (
        _v("0.9312", "Table 5.1 (MNIST, A/B)", 4797),
        _v("0.9282", "Table 5.1 (MNIST, A/B)", 4797),
    ),
    ("mnist5k", "A/E"): (
        _v("0.9139", "Table 5.1 (MNIST, A/E)", 4798),
        _v("0.9221", "Table 5.1 (MNIST, A/E)", 4798),
    ),
    ("fashion_mnist", "A/B"): (
        _v("0.586", "Table 5.2 (F-MNIST, A/B)", 4832),
        _v("0.5803", "Table 5.2 (F-MNIST, A/B)", 4832),
    ),
    ("fashion_mnist", "A/E"): (
        _v("0.4790", "Table 5.2 (F-MNIST, A/E)", 4833),
        _v("0.4616", "Table 5.2 (F-MNIST, A/E)", 4833),
    ),
}

# Model F sweeps (black-box FGSM eps = 0.3): first and last points as printed.
SWEEPS = {
    ("mnist5k", "clean Rec vs L"): _v(
        "0.9273 -> 0.9963 (L 25 -> 1600, R = 10)", "Table 5.8 (MNIST, Model F)", 5206
    ),
    ("mnist5k", "adv Rec vs R"): _v(
        "0.5329 -> 0.9456 (R 1 -> 20, L = 100)", "Table 5.10 (MNIST, Model F)", 5481
    ),
    ("mnist5k", "Rec vs eps"): _v(
        "0.9864 -> 0.9307 (eps 0.1 -> 0.3, L = 400, R = 10)", "Table 5.3 (MNIST, Model F)", 4896
    ),
    ("fashion_mnist", "clean Rec vs L"): _v(
        "0.8037 -> 0.9640 (L 25 -> 1600, R = 10)", "Table 5.9 (F-MNIST, Model F)", 5455
    ),
    ("fashion_mnist", "adv Rec vs R"): _v(
        "0.3504 -> 0.4808 (R 1 -> 10, L = 100)", "Table 5.11 (F-MNIST, Model F)", 5242
    ),
    ("fashion_mnist", "Rec vs eps"): _v(
        "0.8844 -> 0.5126 (eps 0.1 -> 0.3, L = 400, R = 10)", "Table 5.3 (F-MNIST, Model F)", 4896
    ),
}

DETECTION = _v("ROC curves above the diagonal (AUC not printed)", "Figs. 5.4-5.5", 4901)
TIME_R10_R1 = Value("0.675 / 0.543 = 1.24", f"{DOC}, Table 5.13 (TITAN X, L = 200), lines 5295 and 5301")
TIME_R10_R1_VALUE = 0.675 / 0.543
