"""Experiments of the Defense-GAN chapter (``notebooks/07_defense_gan.py``).

Modules are imported by path (``facerobust.experiments.defense_gan.gan_training`` etc.).
"""
