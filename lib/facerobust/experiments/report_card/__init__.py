"""The report card (``notebooks/10_report_card.py``): every model of the book measured side by side
with the attacks the field now uses, with the sanity checks that tell whether to trust the numbers.

Modules: :mod:`.sources` (where the models come from: the only module that calls other chapters'
loaders), :mod:`.pgd_model` (the card's PGD-trained A), :mod:`.heads` (binary models and the
verifier as classifiers), :mod:`.targets` and :mod:`.builders` (the rows), :mod:`.verification`
(threshold and pairs), :mod:`.evaluate` (the attacks at each budget), :mod:`.curves` (curves and
minimal perturbations), :mod:`.prechecks` (AutoAttack's checks), :mod:`.results` (one target's
measures), :mod:`.sanity` and :mod:`.documents` (claims rows), :mod:`.tables` and :mod:`.figures`.
"""
