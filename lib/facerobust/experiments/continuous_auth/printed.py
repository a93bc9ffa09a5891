"""Numbers of Samangouei's dissertation, Chapter 2, as printed, with the line of the source text
(``seeds/samangouei-dissertation-attributes-semantic-gap.txt``) they are read from.

Chapter 04 takes every paper value of its tables and claims from here, never typed in the notebook.
"""

from __future__ import annotations

from dataclasses import dataclass

DOC = "Samangouei diss."


@dataclass(frozen=True)
class Printed:
    """A value as printed and where: table or section and the line of the source text."""

    value: float
    text: str
    where: str

    @property
    def source(self) -> str:
        return f"{DOC} {self.where}"


def _p(value: float, where: str, text: str | None = None) -> Printed:
    return Printed(value, text if text is not None else f"{value:g}", where)


# Table 2.16 (lines 2396-2418): region -> (Deep params, Deep s, Wide params, Wide s) on a Nexus 5.
TABLE_2_16: dict[str, tuple[int, float, int, float]] = {
    "UpperHead": (275_360, 0.15, 1_825_664, 0.26), "BothEyes": (227_936, 0.11, 1_447_552, 0.19),
    "EyesNose": (244_704, 0.13, 1_580_160, 0.22), "Nose": (170_400, 0.06, 988_032, 0.10),
    "NoseMouth": (232_352, 0.10, 1_481_600, 0.18), "Mouth": (164_448, 0.06, 939_648, 0.11),
    "EyesNoseMouth": (441_632, 0.28, 3_154_304, 0.48), "MouthChin": (244_640, 0.13, 1_579_904, 0.23),
    "Ear": (256_864, 0.14, 1_677_952, 0.25), "Eye": (162_400, 0.06, 923_264, 0.08),
}
TABLE_2_16_LINES = "Table 2.16, lines 2396-2414"
BINARY_FULL = {"Deep": _p(584_160, "Table 2.16, line 2418", "584,160"),
               "Wide": _p(4_289_664, "Table 2.16, line 2418", "4,289,664")}
BINARY_TIME = {"Deep": _p(0.36, "Table 2.16, line 2418"), "Wide": _p(0.637, "Table 2.16, line 2418")}
MULTI_TOTAL = {"Deep": _p(2.4e6, "Table 2.16, line 2416", "2.4M"),
               "Wide": _p(15.6e6, "Table 2.16, line 2416", "15.6M")}
MULTI_TIME = {"Deep": _p(1.22, "Table 2.16, line 2416", "1.22 s"),
              "Wide": _p(2.10, "Table 2.16, line 2416", "2.10 s")}

# Eq. 2.10 (Sec. 2.4.6, lines 2490-2504).
BATTERY_MAH, BATTERY_V, P_NORMAL_W, P_MULTIDEEP_W = 2300.0, 3.8, 0.6, 0.78
BATTERY_IDLE = _p(14.5, "Sec. 2.4.6, line 2500", "14.5 h")
BATTERY_WORST = _p(6.3, "Eq. 2.10, line 2502", "6.3 h")
BATTERY_REAL = _p(12.85, "Eq. 2.10, line 2504", "12.85 h")

# Part A EERs (LBP, attributes, fusion).
MOBIO_ALL = {"LBP": _p(0.22, "Table 2.4, line 1209"), "Attributes": _p(0.23, "Table 2.4, line 1209"),
             "Fusion": _p(0.19, "Table 2.4, line 1209")}
MOBIO_CROSS_DEVICE = {"LBP": _p(0.33, "Table 2.5, line 1248"),
                      "Attributes": _p(0.27, "Table 2.5, line 1248"),
                      "Fusion": _p(0.27, "Table 2.5, line 1248")}
AA01_ALL = {"LBP": _p(0.34, "Table 2.6, line 1287"), "Attributes": _p(0.30, "Table 2.6, line 1287"),
            "Fusion": _p(0.30, "Table 2.6, line 1287")}
# Table 2.7 (lines 1338-1342): gallery session -> (LBP, attributes, fusion), probes the other two.
AA01_CROSS = {"1->2,3": (0.36, 0.33, 0.32), "2->1,3": (0.35, 0.31, 0.30), "3->1,2": (0.38, 0.33, 0.31)}
AA01_CROSS_LINES = "Table 2.7, lines 1338-1342"
TABLE_2_1_RANGE = _p(0.6462, "Table 2.1, lines 1091-1112", "0.6462-0.9775")
# Table 2.6 (lines 1281-1285): same-session rows (LBP, attributes, fusion).
AA01_SAME = {"office": (0.13, 0.14, 0.10), "low": (0.31, 0.18, 0.20), "natural": (0.19, 0.16, 0.14)}
AA01_SAME_LINES = "Table 2.6, lines 1281-1285"
LSVM_05 = _p(0.25, "Table 2.9, line 1545")
# Part B (Table 2.14 line 2224, Table 2.15 lines 2367-2369).
AA01_B_ALL = {"ACAA": 0.30, "LBP": 0.34, "MD-CNNAA": 0.20, "MW-CNNAA": 0.25, "DiscAttrs": 0.25}
AA01_B_LINE = "Table 2.14, line 2224"
MOBIO_B_ALL = {"ACAA": 0.22, "LBP": 0.28, "MD-CNNAA": 0.17, "MW-CNNAA": 0.18, "DiscAttrs": 0.19}
MOBIO_B_LINE = "Table 2.15, line 2367"
CELEBA_MEAN = _p(89.5, "Table 2.11 (Average row)", "87.7-89.5%")
BINARY_ALL_TIME = {"Deep": _p(14.4, "Sec. 2.6, line 2450", "14.4 s"),
                   "Wide": _p(25.5, "Sec. 2.6, lines 2450-2452", "25.5 s")}


# Table 2.11 (lines 1650-1730): CelebA test accuracy (%) per attribute, seven columns whose headers
# were lost. Reading (i) of the spec: c1-c4 = MultiDeep, MultiWide, BinaryDeep, BinaryWide (which is
# which is not recoverable); c5-c7 = FaceTracer, PANDA-l, LNets+ANet (identical to Liu et al.'s).
TABLE_2_11_COLUMNS = ("MultiDeep", "MultiWide", "BinaryDeep", "BinaryWide", "FaceTracer", "PANDA",
                      "LNets+ANet")
TABLE_2_11_LINES = "Table 2.11, lines 1650-1730"
TABLE_2_11: dict[str, tuple[int, ...]] = {
    "5_o_Clock_Shadow": (93, 93, 91, 89, 85, 88, 91),
    "Arched_Eyebrows": (81, 82, 82, 83, 76, 78, 79),
    "Attractive": (81, 81, 81, 82, 78, 81, 81),
    "Bags_Under_Eyes": (83, 84, 83, 82, 76, 79, 79),
    "Bald": (99, 99, 96, 98, 89, 96, 98),
    "Bangs": (95, 95, 94, 94, 88, 92, 95),
    "Big_Lips": (67, 70, 69, 67, 64, 67, 68),
    "Big_Nose": (82, 83, 78, 78, 74, 75, 78),
    "Black_Hair": (86, 86, 88, 87, 70, 85, 88),
    "Blond_Hair": (95, 95, 94, 94, 80, 93, 95),
    "Blurry": (95, 95, 92, 80, 81, 86, 84),
    "Brown_Hair": (86, 86, 86, 84, 60, 77, 80),
    "Bushy_Eyebrows": (92, 92, 89, 89, 80, 86, 90),
    "Chubby": (95, 95, 87, 91, 86, 86, 91),
    "Double_Chin": (96, 96, 89, 93, 88, 88, 92),
    "Eyeglasses": (99, 99, 99, 99, 98, 98, 99),
    "Goatee": (97, 97, 93, 96, 93, 93, 95),
    "Gray_Hair": (98, 98, 92, 97, 90, 94, 97),
    "Heavy_Makeup": (90, 90, 90, 91, 85, 90, 90),
    "High_Cheekbones": (86, 85, 87, 87, 84, 86, 87),
    "Male": (98, 97, 97, 98, 91, 97, 98),
    "Mouth_Slightly_Open": (93, 93, 94, 94, 87, 78, 92),
    "Mustache": (97, 96, 88, 95, 91, 87, 95),
    "Narrow_Eyes": (87, 87, 83, 81, 82, 73, 81),
    "No_Beard": (95, 95, 95, 96, 90, 75, 95),
    "Oval_Face": (72, 73, 73, 70, 64, 72, 66),
    "Pale_Skin": (97, 97, 93, 94, 83, 84, 91),
    "Pointy_Nose": (75, 73, 75, 74, 68, 76, 72),
    "Receding_Hairline": (92, 92, 88, 90, 76, 84, 89),
    "Rosy_Cheeks": (94, 94, 87, 91, 84, 73, 90),
    "Sideburns": (95, 95, 95, 96, 94, 76, 96),
    "Smiling": (92, 92, 92, 92, 89, 89, 92),
    "Straight_Hair": (79, 79, 78, 79, 63, 73, 73),
    "Wavy_Hair": (71, 73, 82, 81, 73, 75, 80),
    "Wearing_Earrings": (83, 84, 86, 79, 73, 92, 82),
    "Wearing_Hat": (98, 98, 98, 98, 89, 82, 99),
    "Wearing_Lipstick": (92, 92, 93, 93, 89, 93, 93),
    "Wearing_Necklace": (86, 86, 71, 71, 68, 86, 71),
    "Wearing_Necktie": (95, 96, 93, 95, 86, 79, 93),
    "Young": (87, 87, 87, 88, 80, 82, 87),
}
TABLE_2_11_AVERAGE = (89.4, 89.5, 87.7, 87.9, 81.1, 83.6, 87.3)  # line 1730
