"""AdvHat (Komkov & Petiushko): an adversarial sticker on a hat against a face descriptor.

Chapter 8. ``projection``: the differentiable off-plane sticker model; ``eot``: random
placements; ``optimise``: loss, two-stage momentum-sign optimiser, saving runs.
"""

from .eot import EOT, fixed, sample, sweep
from .optimise import AdvHatConfig, AdvHatRun, Stage, advhat, load_run, optimise_sticker, save_run, tv
from .projection import Frame, Placement, bend_and_pitch, composite, crop, render, sticker_layer

__all__ = ["EOT", "AdvHatConfig", "AdvHatRun", "Frame", "Placement", "Stage", "advhat", "bend_and_pitch",
           "composite", "crop", "fixed", "load_run", "optimise_sticker", "render", "sample", "save_run",
           "sticker_layer", "sweep", "tv"]
