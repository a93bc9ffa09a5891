"""The card's targets, built from the models of :mod:`.sources` (and the card's PGD-trained A).

* :func:`digit_targets`: chapter 7's classifier A undefended, FGSM-trained and PGD-trained, A
  behind MagNet's reformer (attacked end to end) and Defense-GAN-Rec (the projection then the Rec
  classifier), attacked through BPDA (identity backward) with EOT over the projection's random
  restarts, and through chapter 7's unrolled projection at its smaller L, R;
* :func:`attribute_targets`: chapter 1's banks, one binary part per attribute;
* :func:`face_targets`: chapter 0's pretrained attribute models on the real face photos;
* :func:`verifier_targets`: dlib's descriptor as a verifier, dodging and impersonation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ...attacks.adaptive import bpda, eot
from ...data.faces import FaceSet
from ...defenses.defense_gan import DefenseGAN
from ...models.registry import AttributeModel
from . import verification
from .heads import AttributeHead, BinaryHead, PairVerifier, RandomProjection
from .sources import AttributeBanks, DigitModels
from .targets import DEFENSE_GAN_COST_PER_POINT, AttackSettings, Part, Target

DGAN_KEY = "dgan"
PGD_KEY = "A-pgd"


@dataclass(frozen=True)
class DigitRows:
    """The digit rows' sizes and attacks: the first ``n`` test digits (``n_defense_gan`` for
    Defense-GAN, whose every query is a projection), ``eot_draws`` projections averaged per
    attack query, the ``substitute`` of chapter 7 the transfer check crafts on, the attack
    ``settings`` and Defense-GAN's ``defense_settings``, the PGD model's training ``pgd_eps``;
    ``attacker_projection``: the (L, R) of the projection inside the attacker's surrogate ((0, 0):
    the deployed defense's own). A cheaper projection than the defense's makes a cheaper, possibly
    weaker attack; the deployed defense still decides every point, so robust accuracy stays an
    upper bound, as under any attack."""

    n: int
    n_defense_gan: int
    eot_draws: int
    substitute: str
    settings: AttackSettings
    defense_settings: AttackSettings
    pgd_eps: float
    seed: int
    attacker_projection: tuple[int, int] = (0, 0)


def attacker_projection(dm: DigitModels, projection: tuple[int, int]) -> tuple[int, int]:
    """The (L, R) the attacker's surrogate projects with: ``projection``, or for (0, 0) the
    defense's own (chapter 7's ``L``, ``R``)."""
    L, R = projection
    if (L == 0) != (R == 0) or L < 0 or R < 0:
        raise ValueError(f"projection must be (0, 0) or two positive ints (L, R), got {projection}")
    return (L, R) if L else (dm.L, dm.R)


def defense_gan_surrogate(dm: DigitModels, draws: int, seed: int,
                          projection: tuple[int, int] = (0, 0)) -> nn.Module:
    """The attacker's model of Defense-GAN-Rec: the projection with fresh random restarts behind
    BPDA (identity backward), then the Rec classifier, averaged over ``draws`` draws (EOT). The
    projection runs :func:`attacker_projection` steps and restarts."""
    L, R = attacker_projection(dm, projection)
    randomised = RandomProjection(DefenseGAN(dm.generator, L=L, R=R), seed=seed + 101)
    return eot(nn.Sequential(bpda(randomised), dm.classifiers["A-rec"]), draws)


def defense_gan_parts(dm: DigitModels, rows: DigitRows) -> Part:
    """Defense-GAN-Rec as deployed (chapter 7's projection, its own seeded restarts), the attacker's
    BPDA + EOT surrogate (fresh restarts each draw) and the unrolled copy at chapter 7's smaller L, R."""
    g, rec = dm.generator, dm.classifiers["A-rec"]
    deployed = nn.Sequential(DefenseGAN(g, L=dm.L, R=dm.R, seed=dm.seed), rec).eval()
    surrogate = defense_gan_surrogate(dm, rows.eot_draws, rows.seed, rows.attacker_projection)
    unrolled = nn.Sequential(DefenseGAN(g, L=dm.L_unrolled, R=dm.R_unrolled, seed=rows.seed + 202), rec)
    x, y = dm.x_test[:rows.n_defense_gan], dm.y_test[:rows.n_defense_gan]
    return Part(deployed, x, y, attacked=surrogate, substitute=dm.substitutes[rows.substitute],
                unrolled=unrolled)


def digit_targets(dm: DigitModels, pgd_a: nn.Module, rows: DigitRows) -> list[Target]:
    """The MNIST-5k rows of the card (see the module docstring)."""
    x, y, sub = dm.x_test[:rows.n], dm.y_test[:rows.n], dm.substitutes[rows.substitute]
    ch7, s = "chapter 7", rows.settings

    def plain(key: str, name: str, model: nn.Module, source: str = ch7, note: str = "") -> Target:
        return Target(key, name, "digits", source, 10, (Part(model, x, y, substitute=sub),), s, note)

    out = [plain("A", "A (undefended)", dm.classifiers["A"])]
    out += [plain(f"A-fgsm{e:g}", f"A, FGSM-trained (eps {e:g})", dm.classifiers[f"A-adv{e}"],
                  note=f"{dm.adv_epochs} epochs from scratch, half clean and half FGSM loss")
            for e in dm.adv_eps]
    out.append(plain(PGD_KEY, f"A, PGD-trained (eps {rows.pgd_eps:g})", pgd_a,
                     "this chapter (Madry et al. 2018)", "fine-tuned from chapter 7's A"))
    aL, aR = attacker_projection(dm, rows.attacker_projection)
    magnet = nn.Sequential(dm.reformer, dm.classifiers["A"]).eval()
    out.append(plain("magnet", "A behind MagNet's reformer", magnet, note="attacked end to end"))
    out.append(Target(DGAN_KEY, "Defense-GAN-Rec", "digits", ch7, 10, (defense_gan_parts(dm, rows),),
                      rows.defense_settings,
                      f"L={dm.L}, R={dm.R}; BPDA + EOT over {rows.eot_draws} restart draws of a projection "
                      f"at L={aL}, R={aR}, and unrolled at L={dm.L_unrolled}, R={dm.R_unrolled}",
                      cost_per_point=DEFENSE_GAN_COST_PER_POINT))
    return out


def attribute_targets(ab: AttributeBanks, n: int, settings: AttackSettings) -> list[Target]:
    """One target per loss of chapter 1's banks; part ``i`` is attribute ``i`` on the first ``n``
    test images (label: attribute present)."""
    x = ab.x[:n]
    out = []
    for loss, bank in ab.banks.items():
        parts = tuple(Part(AttributeHead(bank, i), x, (ab.a[:n, i] > 0).long()) for i in range(len(ab.names)))
        out.append(Target(f"attr-{loss}", f"Attribute networks, {loss} loss", "garments", "chapter 1", 2,
                          parts, settings, f"{len(ab.names)} attributes x {len(x)} images"))
    return out


def face_targets(models: dict[str, AttributeModel], chips: Callable[[int, float], FaceSet], n: int,
                 settings: AttackSettings) -> list[Target]:
    """One target per registry model, on the first ``n`` real faces at the model's chip size
    (label: the hand-made attribute label)."""
    out = []
    for name, am in models.items():
        faces = chips(am.input_size, am.chip_padding)
        attrs = faces.attributes()
        col = attrs.names.index(am.attribute)
        y = (attrs.a[:n, col] > 0).long()
        head = BinaryHead(am.model, am.score).eval()
        out.append(Target(name, f"{am.attribute}, {name.split('/')[1]}", "faces", "chapter 0 (pretrained)", 2,
                          (Part(head, faces.x[:n], y),), settings, f"{am.input_size} px chips"))
    return out


@dataclass(frozen=True)
class VerifierSetup:
    """The verifier's clean facts: the threshold, the genuine and impostor pairs."""

    threshold: verification.Threshold
    genuine: verification.Pairs
    impostor: verification.Pairs


def verifier_setup(descriptor: nn.Module, faces: FaceSet, far: float, seed: int) -> VerifierSetup:
    """Threshold at clean false-accept rate ``far`` and the pairs (:mod:`.verification`)."""
    ident = verification.identities(faces.labels)
    emb = verification.embed(descriptor, faces.x)
    mirror = verification.embed(descriptor, faces.x.flip(-1))
    thr = verification.threshold_at(verification.impostor_distances(emb, ident), far)
    return VerifierSetup(thr, verification.genuine_pairs(emb, mirror, ident),
                         verification.impostor_pairs(emb, ident, seed))


def verifier_targets(descriptor: nn.Module, faces: FaceSet, vs: VerifierSetup, n: int,
                     settings: AttackSettings) -> list[Target]:
    """Dodging (genuine pairs, label "match") and impersonation (impostor pairs, label "no match"),
    at most ``n`` pairs each; one part per pair (its enrolled descriptor)."""
    out = []
    for key, name, pairs in (("dodging", "dlib verifier, dodging", vs.genuine),
                             ("impersonation", "dlib verifier, impersonation", vs.impostor)):
        parts = tuple(Part(PairVerifier(descriptor, pairs.anchors[i], vs.threshold.tau).eval(),
                           faces.x[pairs.probe[i]][None],
                           torch.full((1,), int(pairs.same[i]), dtype=torch.int64, device=faces.x.device))
                      for i in range(min(n, len(pairs.probe))))
        note = f"threshold {vs.threshold.tau:.3f} (clean false-accept rate {vs.threshold.rate:.3f})"
        out.append(Target(key, name, "verification", "chapter 0 (pretrained)", 2, parts, settings, note))
    return out


__all__ = ["DGAN_KEY", "PGD_KEY", "DigitRows", "VerifierSetup", "attacker_projection", "attribute_targets",
           "defense_gan_parts", "defense_gan_surrogate", "digit_targets", "face_targets", "verifier_setup",
           "verifier_targets"]
