"""Chapter 8 (AdvHat): experiments on dlib's ResNet descriptor with real faces.

``setup``: faces, model, anchors, cached sticker runs; ``evaluate``: held-out views, sweeps,
transfer; ``claims``: the verdicts A1-A5; ``figures``: the chapter's figures.
"""
