"""Experiments of the Rozsa et al. (2016) chapters 01-03: attribute networks, FGS/FFA
adversarials with PASS, natural adversarials, portability and the real-faces study."""
