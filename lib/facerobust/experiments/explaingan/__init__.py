"""Experiments of the ExplainGAN chapter (``notebooks/06_explaingan.py``, dissertation Ch. 4).

Modules are imported by path (``facerobust.experiments.explaingan.zoo`` etc.): ``data`` (pairs and
the four-way split), ``training`` (loops), ``zoo`` (cached models), ``evaluate`` (flip rate, mask
area, substitutability), ``explain`` (AOSPC of ExplainGAN and the Captum baselines), ``paper``
(the dissertation's numbers), ``figures``.
"""
