"""Training loops: the black box, ExplainGAN (objective (4.6)) and its ablations, the
CycleGAN-style two-generator baseline. Each loop runs a fixed number of steps of one batch per
class (S_0 and S_1, split by the black box's predictions) with Adam (DCGAN's beta1 = 0.5).
Caching lives in :mod:`facerobust.experiments.explaingan.zoo`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional

from ...models import explaingan_losses as losses
from ...models.explaingan import ExplainGAN, Explanation, TwoGenerators
from ...progress import progress

VARIANTS = ("full", "norec", "nomask", "cyclegan")


@dataclass(frozen=True)
class TrainConfig:
    """One ExplainGAN run: ``variant`` in :data:`VARIANTS`, steps of ``batch`` images per class."""

    steps: int = 1000
    batch: int = 16
    lr: float = 5e-4
    width: int = 16
    z_dim: int = 32
    weights: losses.LossWeights = field(default_factory=losses.LossWeights)
    variant: str = "full"
    cycle: float = 10.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.steps < 0 or self.batch < 1 or not self.lr > 0:
            raise ValueError(f"bad steps/batch/lr: {self.steps}, {self.batch}, {self.lr}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_by_prediction(blackbox: nn.Module, x: Tensor, batch: int = 1000) -> tuple[Tensor, Tensor]:
    """S_0 and S_1: the images the black box assigns to class 0 and to class 1."""
    with torch.no_grad():
        pred = torch.cat([blackbox(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return x[pred == 0], x[pred == 1]


def _sampler(x0: Tensor, x1: Tensor, batch: int, seed: int) -> Callable[[], tuple[Tensor, Tensor]]:
    if len(x0) == 0 or len(x1) == 0:
        raise ValueError(f"the black box must predict both classes on the training set "
                         f"(got {len(x0)} and {len(x1)} images)")
    g = torch.Generator().manual_seed(seed)

    def draw() -> tuple[Tensor, Tensor]:
        i0 = torch.randint(len(x0), (batch,), generator=g, device=g.device)
        i1 = torch.randint(len(x1), (batch,), generator=g, device=g.device)
        return x0[i0], x1[i1]
    return draw


def _total(terms: list[Tensor]) -> Tensor:
    return torch.stack(terms).sum()


def _fakes(model: ExplainGAN, e: tuple[Explanation, Explanation], j: int, detach: bool,
           pick: Tensor) -> list[Tensor]:
    """D_j's logits on its fakes (4.8): reconstructions of S_j, transformations and composites
    from S_{1-j}; ``pick`` draws one batch from the three kinds (an unbiased estimate of their
    mean at a third of the cost)."""
    own, other = e[j], e[1 - j]
    imgs = torch.cat([own.recon, other.transformed, other.composite])[pick]
    return [model.discriminate(imgs.detach() if detach else imgs, j)]


def explaingan_step(model: ExplainGAN, blackbox: nn.Module, x: tuple[Tensor, Tensor],
                    opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                    w: losses.LossWeights) -> dict[str, float]:
    """One alternating update of D_0, D_1 and then of E_0, E_1, G; returns the loss terms."""
    e = (model.explain(x[0], 0), model.explain(x[1], 1))
    n = len(x[0])
    pick = [torch.randperm(3 * n, device=x[0].device)[:n] for _ in (0, 1)]
    d_loss = _total([losses.gan_d_loss(model.discriminate(x[j], j), _fakes(model, e, j, True, pick[j]))
                     for j in (0, 1)])
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    terms = {
        "gan": _total([losses.gan_g_loss(_fakes(model, e, j, False, pick[j])) for j in (0, 1)]),
        "classifier": _total([losses.classifier_loss(blackbox(e[j].composite), 1 - j) for j in (0, 1)]),
        "recon": _total([losses.recon_loss(e[j].recon, x[j]) for j in (0, 1)]),
    }
    if model.use_mask:
        terms["prior"] = _total([losses.prior_loss(x[j], e[j].transformed, e[j].mask, w) for j in (0, 1)])
    weight = {"gan": w.gan, "classifier": w.classifier, "recon": w.recon, "prior": 1.0}
    g_loss = _total([weight[k] * v for k, v in terms.items()])
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    out = {k: float(v.detach()) for k, v in terms.items()}
    out["d"] = float(d_loss.detach())
    return out


def cyclegan_step(model: TwoGenerators, x: tuple[Tensor, Tensor], opt_g: torch.optim.Optimizer,
                  opt_d: torch.optim.Optimizer, cycle: float) -> dict[str, float]:
    """One CycleGAN update: adversarial terms per direction plus cycle = ``cycle`` * L1."""
    t = [model.translate(x[j], j) for j in (0, 1)]      # t[j]: class-j image made to look 1-j
    d_loss = _total([losses.gan_d_loss(model.discriminate(x[1 - j], 1 - j),
                                       [model.discriminate(t[j].detach(), 1 - j)]) for j in (0, 1)])
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    gan = _total([losses.gan_g_loss([model.discriminate(t[j], 1 - j)]) for j in (0, 1)])
    cyc = _total([functional.l1_loss(model.gens[1 - j](t[j]), x[j]) for j in (0, 1)])
    g_loss = gan + cycle * cyc
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return {"gan": float(gan.detach()), "cycle": float(cyc.detach()), "d": float(d_loss.detach())}


def fit_gan(model: ExplainGAN | TwoGenerators, blackbox: nn.Module, x0: Tensor, x1: Tensor,
            cfg: TrainConfig, desc: str = "ExplainGAN") -> dict[str, Any]:
    """Train ``model`` for ``cfg.steps`` steps; returns the loss history (every 50 steps)."""
    torch.manual_seed(cfg.seed)
    blackbox.eval()
    for p in blackbox.parameters():
        p.requires_grad_(False)
    draw = _sampler(x0, x1, cfg.batch, cfg.seed)
    opt_g = torch.optim.Adam(model.generator_parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.disc.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    model.train()
    hist: dict[str, list[float]] = {}
    for step in progress(range(cfg.steps), desc=desc):
        if isinstance(model, TwoGenerators):
            terms = cyclegan_step(model, draw(), opt_g, opt_d, cfg.cycle)
        else:
            terms = explaingan_step(model, blackbox, draw(), opt_g, opt_d, cfg.weights)
        if step % 50 == 0 or step == cfg.steps - 1:
            hist.setdefault("step", []).append(step)
            for k, v in terms.items():
                hist.setdefault(k, []).append(v)
    model.eval()
    return {"history": hist, "n_s0": len(x0), "n_s1": len(x1)}


def build(cfg: TrainConfig, channels: int = 1) -> ExplainGAN | TwoGenerators:
    """The untrained model of ``cfg.variant``."""
    if cfg.variant == "cyclegan":
        return TwoGenerators(channels, cfg.width)
    return ExplainGAN(channels, cfg.width, cfg.z_dim, use_mask=cfg.variant != "nomask")


def variant_weights(w: losses.LossWeights, variant: str) -> losses.LossWeights:
    """The ablation's weights: ``norec`` drops L_recon; the others keep ``w``."""
    if variant == "norec":
        return losses.LossWeights(**{**asdict(w), "recon": 0.0})
    return w
