# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,mystnb,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. ExplainGAN: explaining a black box by boundary-crossing transformations
#
# Chapter 4 of Samangouei's dissertation {cite}`samangouei2019thesis` (published as ExplainGAN
# {cite}`samangouei2018explaingan`) explains a frozen binary classifier by generating, for a query
# image, a *transformed* image of the other class that differs from the query only inside a small
# *mask*; pasting the transformed pixels into the query gives a *composite* that the classifier
# should assign to the other class. The dissertation claims that these masks rank pixels as well as
# the usual attribution maps (AOSPC, Table 4.1) and that the generated images can stand in for real
# training images (substitutability, Tables 4.2-4.3). This chapter implements the model and all its
# losses, trains it on MNIST-5k and Fashion-MNIST pairs on a CPU, compares its masks with five Captum
# baselines, and measures the flip rate, mask area and substitutability the claims rest on.

# %% tags=["remove-cell"]
# On Google Colab only (hidden in the book, does nothing elsewhere): get the book's code, libraries and assets.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    REPO, URL = "/content/facerobust-book", "https://github.com/facerobust/facerobust-book"
    if not os.path.isdir(REPO):
        subprocess.run(["git", "clone", "-q", "--depth", "1", URL, REPO], check=True)
        subprocess.run([sys.executable, f"{REPO}/tools/colab_setup.py"], check=True)
    sys.path.insert(0, f"{REPO}/lib")
    os.chdir(f"{REPO}/notebooks")

# %% tags=["parameters"]
profile = "default"
overrides = {}

# %%
import time

import facerobust as fr
from facerobust import params, session

T_START = time.perf_counter()
print(fr.check_version())
P = params.load("06_explaingan", profile, overrides)
gen = session.start(P.seed, threads=P.threads)
P

# %% [markdown]
# ## The method
#
# A frozen classifier $C$ (the *black box*) gives the probability that an image is of class 1. The
# data are split by its **predictions**, $S_j = \{x : \bar y = j\}$, and an image $x \in S_j$ is
# encoded by its class's encoder, $z_j = E_j(x)$ (4.4); $E_0$ and $E_1$ share their last layers. One
# decoder with three heads returns the reconstruction $G_j(z_j)$, the transformation to the other
# class $G_{1-j}(z_j)$ and a sigmoid mask $G_m(z_j)$. The composite of class $j$ made from an image
# of class $1-j$ is (4.5)
#
# $$
# C_j(x_{1-j}) = x_{1-j}\odot\big(1-G_m(z_{1-j})\big) + G_j(z_{1-j})\odot G_m(z_{1-j}).
# $$ (eq-eg-composite)
#
# ```{literalinclude} /lib/facerobust/models/explaingan.py
# :pyobject: composite
# ```
#
# Training minimises over $E_0, E_1, G$ and maximises over the discriminators $D_0, D_1$ (which also
# share their last layers) the sum (4.6) of four groups of terms. The GAN loss (4.7)-(4.8) treats
# reconstructions, transformations and composites of class $j$ all as fakes for $D_j$:
#
# $$
# L_{GAN:j}=\mathbb E_{S_j}\log D_j(x)+\mathbb E_{S_j}\log(1-D_j(G_j(E_j(x))))
#   +\mathbb E_{S_{1-j}}\log(1-D_j(G_j(E_{1-j}(x))))+\mathbb E_{S_{1-j}}\log(1-D_j(C_j(x))).
# $$ (eq-eg-gan)
#
# The classifier loss (4.9)-(4.10) asks the black box to put composites on the other side,
# $L_{cls}=\mathbb E_{S_0}[-\log C(C_1(x))]+\mathbb E_{S_1}[-\log(1-C(C_0(x)))]$; the reconstruction
# loss (4.11) is $\sum_j \mathbb E_{S_j}\lVert G_j(E_j(x))-x\rVert^2$; and four priors shape the mask
# $m = G_m(z_j)$ (4.12)-(4.16):
#
# $$
# L_{const}=\lVert(1-m)\odot(x-G_{1-j}(z_j))\rVert^2,\quad
# L_{count}=\max\big(\tfrac1n\lVert m\rVert_1,\kappa\big),\quad
# L_{smooth}=\lvert\nabla m\rvert,\quad
# L_{entropy}=\min(m,1-m).
# $$ (eq-eg-priors)
#
# Each is one function of `facerobust.models.explaingan_losses` (norms divided by the pixel count
# $n$ so that the coefficients do not depend on the image size), for instance the count prior, which
# only penalises masks larger than $\kappa$:
#
# ```{literalinclude} /lib/facerobust/models/explaingan_losses.py
# :pyobject: count_loss
# ```
#
# One training step alternates a discriminator update and an update of the encoders and decoder
# (Adam with DCGAN's $\beta_1 = 0.5$ and learning rate {glue:text}`lr`). To save a third of the discriminator's
# cost, $D_j$ sees one batch drawn at random from its three kinds of fakes rather than all three:
#
# ```{literalinclude} /lib/facerobust/experiments/explaingan/training.py
# :pyobject: explaingan_step
# ```

# %% [markdown]
# ## Pairs, splits and black boxes
#
# Question: how good are the black boxes we explain? Each data set is split four ways as in the
# dissertation's Sec. 4.4 (classifier-train / ExplainGAN-train / validation / test), on the whole
# data set before the pair's two classes are kept. Fashion-MNIST is complete here and gets the
# dissertation's 2k / 50k / 8k of its 60k training images; MNIST-5k (the 5,000 real digits we have)
# gets 1k / 2.5k / 0.5k of its 4,000. The black box is a small CNN (conv16-pool-conv32-pool-fc64-fc2;
# the dissertation leaves it open), trained with Adam on the classifier-train split only.

# %%
import pandas as pd
from facerobust import glued
from facerobust.device import resolve
from facerobust.experiments.explaingan import evaluate, explain, figures, stages

cfg = stages.Config(seed=P.seed, mnist_sizes=P.mnist_sizes, fashion_sizes=P.fashion_sizes, celeba_sizes=P.celeba_sizes,
                    celeba_root=P.celeba_root, bb_epochs=P.bb_epochs, weights=P.weights, kappa=P.kappa, smooth=P.smooth,
                    steps=P.steps, batch=P.batch, lr=P.lr, width=P.width, z_dim=P.z_dim, coef_grid=P.coef_grid,
                    max_area=P.max_area, kappa_sweep=P.kappa_sweep, cluster=P.cluster)
specs = [("mnist5k", p) for p in P.mnist_pairs] + [("fashion", p) for p in P.fashion_pairs]
specs += [("celeba", [f"no {a}", a]) for a in P.celeba_attributes if P.celeba_root is not None]
tasks = stages.tasks(cfg, specs, resolve(P.device))  # device 'auto': CUDA, else MPS, else CPU
bb_acc = pd.DataFrame([{"pair": t.pair.title, **t.pair.sizes(), "black-box test accuracy":
                        t.bb_meta["test_accuracy"]} for t in tasks.values()])
glued.show(bb_min=float(bb_acc["black-box test accuracy"].min()), bb_max=float(bb_acc["black-box test accuracy"].max()))
bb_acc

# %% [markdown]
# The black boxes reach {glue:text}`bb_min:.3f` to {glue:text}`bb_max:.3f` test accuracy; the
# Fashion-MNIST pairs are the hard ones, as in the dissertation (ceilings 91.7 and 94.1%).

# %% [markdown]
# ## Choosing the coefficients on the validation split
#
# The dissertation chose its coefficients by cross-validation and used one set for every data set
# except $\kappa$ and the smoothness weight, but prints none of them. We compare the candidate sets
# below on the first MNIST pair and keep the one whose composites flip the black box most often on
# the **validation** split among those whose mean mask area stays at most
# {glue:text}`max_area:.2f` of the image; that set is then used for every pair, with $\kappa$ and
# the smoothness weight per data set.

# %%
T0 = time.perf_counter()
grid_task = tasks[("mnist5k", tuple(map(str, P.grid_pair)))]
chosen, grid = stages.choose_weights(cfg, grid_task)
glued.show(max_area=P.max_area)
grid

# %%
glued.show(n_cand=len(grid))
stages.summary(stages.weights(cfg, "mnist5k", chosen)).to_frame().T

# %% [markdown]
# Of the {glue:text}`n_cand` candidate sets the one marked `chosen` is used from here on (its
# coefficients above, for MNIST; Fashion-MNIST changes only $\kappa$ and the smoothness weight).

# %% [markdown]
# ## One batch by hand
#
# Six test digits that the black box calls a 4 go through the chosen model: encoder $E_0$, the three
# heads, and Eq. {eq}`eq-eg-composite` written out, then the black box's probability of "9" before
# and after, and how much of the query the composite keeps (SSIM, `facerobust.metrics.ssim.ssim`).
# {numref}`fig-eg-by-hand` shows the batch.

# %%
import torch

from facerobust.metrics.ssim import ssim

model = stages.train(cfg, grid_task, stages.weights(cfg, "mnist5k", chosen))
x4 = grid_task.pair.test.x[explain.predicted(grid_task.bb, grid_task.pair.test.x) == 0][:6]
with torch.no_grad():
    g0, g1, m = model.model.dec(model.model.enc(x4, 0))           # G_0 (recon), G_1 (to "9"), G_m
    comp = x4 * (1 - m) + g1 * m                                    # Eq. (4.5)
    p_before, p_after = (torch.softmax(grid_task.bb(v), 1)[:, 1] for v in (x4, comp))
pd.DataFrame({"P(9) before": p_before, "P(9) composite": p_after, "mask area": m.flatten(1).mean(1),
              "SSIM(query, composite)": ssim(x4, comp)})

# %% mystnb={"figure": {"caption": "One batch by hand (MNIST 4 -> 9): the query, the transformation G_1(z_0), the mask G_m(z_0) (black = 0, bright = 1) and the composite C_1.", "name": "fig-eg-by-hand"}}
import matplotlib.pyplot as plt

figures.grid(model, x4, 0, {}, "MNIST 4 -> 9, one batch by hand")
plt.show()

# %% [markdown]
# ## Boundary crossing and locality on every pair
#
# Question: do the composites (and the raw transformations) cross the black box's decision boundary,
# and how much of the image does the mask cover? The dissertation reports no flip rate; the table below
# is ours, on each pair's test split, with every ExplainGAN trained for the
# same number of steps.

# %%
runs = stages.train_many(cfg, [(t, stages.weights(cfg, t.pair.dataset, chosen), "full") for t in tasks.values()])
trained = dict(zip(tasks, runs, strict=True))
flip = {k: evaluate.flips(trained[k], t.bb, t.pair.test.x) for k, t in tasks.items()}
flips = pd.DataFrame([stages.flip_row(t.pair.title, flip[k]) for k, t in tasks.items()])
mn = flips[flips.pair.str.startswith("mnist")]
glued.show(mnist_flip_min=float(mn["composite flip"].min()), mnist_area_max=float(mn["mask area"].max()),
           t_train=time.perf_counter() - T0)
flips.style.format(precision=3).set_caption("Composite and transformation flip rates, mask area")

# %% [markdown]
# On the MNIST pairs the lowest composite flip rate is {glue:text}`mnist_flip_min:.3f` and the
# largest mean mask area {glue:text}`mnist_area_max:.3f` of the image (this book's acceptance point
# asks for at least 0.90 and under 0.25). The raw transformations flip the black box more often than
# the composites: they may change every pixel, while the composite keeps the query outside the mask.
# The mask area hardly varies between the images of a pair (its standard deviation, last column): at
# this training budget each pair's masks are close to one template, placed where the two classes
# differ on average (the bar that closes a 4 into a 9), rather than a segmentation of each image.
#
# ### Mask area against $\kappa$
#
# Question: does $\kappa$ set the size of the mask, as (4.14) intends? We retrain the grid pair with
# each $\kappa$ of the sweep, everything else fixed ({numref}`fig-eg-kappa`). Only areas above
# $\kappa$ are penalised, so a $\kappa$ below the area that the other terms settle on changes little.

# %%
sweep = stages.kappa_sweep(cfg, grid_task, chosen)
sweep

# %% mystnb={"figure": {"caption": "Mean mask area (with its standard deviation over test images) and composite flip rate against kappa, MNIST pair of the coefficient choice; dashed: area = kappa.", "name": "fig-eg-kappa"}}
figures.kappa_sweep(sweep)
plt.show()

# %% [markdown]
# ## Explanations side by side (Figs. 4.3 and 4.4)
#
# Each row is a test image; then ExplainGAN's transformation, mask and composite, and the map of each
# baseline for the black box's predicted class (positive part, scaled to [0, 1]): input x gradient
# {cite}`shrikumar2016not`, Grad-CAM on the second convolution {cite}`selvaraju2017gradcam`, saliency
# {cite}`simonyan2014deep`, occlusion with a {glue:text}`occ_w`-pixel zero patch
# {cite}`zeiler2014visualizing` and LRP's epsilon rule {cite}`bach2015pixel`, all from Captum
# {cite}`kokhlikyan2020captum`.

# %%
glued.show(occ_w=P.occlusion_window)
grids = []
for d, p in P.figure_pairs:
    k = (d, tuple(map(str, p)))
    xs = tasks[k].pair.test.x[explain.predicted(tasks[k].bb, tasks[k].pair.test.x) == 0][: P.n_figure]
    maps = explain.all_maps(trained[k], tasks[k].bb, xs, window=P.occlusion_window, stride=P.occlusion_stride)
    grids.append((trained[k], xs, maps, f"{tasks[k].pair.title}: {p[0]} -> {p[1]}"))

# %% mystnb={"figure": {"caption": "MNIST 4 -> 9 (Fig. 4.4's last row): input, ExplainGAN's transformation, mask and composite, and the five baselines' maps.", "name": "fig-eg-grid-mnist"}}
figures.grid(*grids[0][:2], 0, *grids[0][2:])
plt.show()

# %% mystnb={"figure": {"caption": "Fashion-MNIST pullover -> shirt (Fig. 4.4's first row), same columns.", "name": "fig-eg-grid-fashion"}}
figures.grid(*grids[1][:2], 0, *grids[1][2:])
plt.show()

# %% [markdown]
# ## AOSPC (Table 4.1)
#
# Question: does perturbing the segments an explanation ranks highest lower the black box's score
# faster for ExplainGAN's mask than for the baselines? Each map is normalised to [0, 1], thresholded
# at $t$, cut into connected components (8-neighbour) ranked by their mean map value (for ExplainGAN,
# the mean mask value), and the $k$ best segments are replaced by uniform noise on [0, 1]; then
#
# $$
# \mathrm{AOSPC}=\frac{1}{K+1}\Big\langle\sum_{k=0}^{K}f(x^{(0)}_{SP})-f(x^{(k)}_{SP})\Big\rangle_{p_x}
# $$ (eq-eg-aospc)
#
# with $K$ = {glue:text}`aospc_K`. The dissertation does not say what $f$ is; we report both the
# logit and the softmax probability of the class the black box assigns to the clean image, on
# {glue:text}`n_aospc` test images of each MNIST pair (pooled).
#
# ```{literalinclude} /lib/facerobust/metrics/aospc.py
# :pyobject: aospc
# ```

# %%
T1 = time.perf_counter()
aospc_runs = []
for k, t in tasks.items():
    if t.pair.dataset == "mnist5k":
        xs = t.pair.test.x[: P.n_aospc]
        maps = explain.all_maps(trained[k], t.bb, xs, window=P.occlusion_window, stride=P.occlusion_stride)
        aospc_runs.append(explain.run(t.bb, xs, maps, tuple(P.thresholds), P.K, seed=P.seed))
aos = explain.AOSPCRun.pooled(aospc_runs)
glued.show(aospc_K=P.K, n_aospc=P.n_aospc, t_aospc=time.perf_counter() - T1)
pd.concat({f: aos.table(f) for f in explain.SCORES}, axis=1).style.format(precision=3)

# %% mystnb={"figure": {"caption": "AOSPC per method and threshold, MNIST pairs pooled; left with f the logit, right the probability.", "name": "fig-eg-aospc"}}
figures.aospc_bars(aos.frame())
plt.show()

# %%
ranks = pd.DataFrame({f: [aos.best(f, t) for t in P.thresholds] for f in explain.SCORES}, index=P.thresholds)
glued.show(**{f"best_{f}": ", ".join(f"{aos.best(f, t)} (t={t})" for t in P.thresholds) for f in explain.SCORES},
           **{f"eg_rank_{f}": ", ".join(str(int(aos.table(f)[t].rank(ascending=False)["explaingan"]))
                                        for t in P.thresholds) for f in explain.SCORES})
ranks.rename_axis("best method at t")

# %% [markdown]
# With $f$ the logit the best method per threshold is {glue:text}`best_logit`, and ExplainGAN ranks
# {glue:text}`eg_rank_logit` (of six) at $t$ = 0.5, 0.7, 0.9; with the probability the best is
# {glue:text}`best_probability` and ExplainGAN ranks {glue:text}`eg_rank_probability`. The mask is
# trained to flip the class, not to rank pixels, and it covers a connected region, so at high
# thresholds it leaves few segments to perturb. Input x gradient and LRP score alike: for a ReLU
# network LRP's epsilon rule with a small epsilon reduces to input x gradient (Ancona et al., ICLR
# 2018), so both maps rank the pixels the same way.

# %% [markdown]
# The dissertation's values run to the thousands (2622 for ExplainGAN at $t=0.5$), which no mean of
# logit or probability drops of a small CNN reaches: they must be sums, or unnormalised scores of a
# different network. We compare rankings, not values.

# %% [markdown]
# ## Substitutability (Table 4.2)
#
# Question: can generated images replace real training images? For each column we retrain the black
# box's architecture on its classifier-train split with the images of class 0 (or class 1) replaced by
# ExplainGAN's transformations (or composites) of that class, made from the split's images of the
# other class, train it exactly as the black box was trained (same epochs, batch and seed), and report
# test accuracy next to the ceiling, the black box itself.

# %%
T2 = time.perf_counter()
cols = ("Transformed 0", "Transformed 1", "Composite 0", "Composite 1")
subst = {k: evaluate.substitutability(trained[k], t.pair, cols, P.bb_epochs, P.seed) for k, t in tasks.items()}
ceil = {k: evaluate.ceiling(t.bb, t.pair) for k, t in tasks.items()}
sub = pd.DataFrame([stages.substitution_rows(t.pair.title, subst[k], ceil[k]) for k, t in tasks.items()])
gap = sub.assign(gap=sub["Ceiling"] - sub[list(cols)].min(axis=1))
glued.show(t_subst=time.perf_counter() - T2, gap_mnist=float(gap[gap.pair.str.startswith("mnist")].gap.max()),
           gap_fashion=float(gap[gap.pair.str.startswith("fashion")].gap.max()))
sub.style.format(precision=1)

# %% [markdown]
# The largest drop below the ceiling is {glue:text}`gap_mnist:.1f` points on the MNIST pairs and
# {glue:text}`gap_fashion:.1f` on the Fashion-MNIST pairs (dissertation: at most 1.0 on MNIST,
# 9 to 25 on Fashion-MNIST). Each cell is one retraining on a few hundred images and a test split of
# 200 (MNIST-5k) or 2,000 (Fashion-MNIST) images, so MNIST cells move by a point or two between seeds.
# A cell at 50% means the retrained classifier calls every real test image by one class: when the
# generated images are recognisable by their artefacts (a grey, textured background after a short
# training), the classifier learns "generated against real" instead of the two classes.
# Substitutability measures realism as much as class content, and it is the first of our
# measurements to suffer from a short GAN training: the section after the claims table says how the
# MNIST row moves when the GAN trains longer.

# %% [markdown]
# ## Ablations (Table 4.3's columns)
#
# Question: do the reconstruction loss and the mask matter, and does a CycleGAN-style pair of
# image-to-image generators {cite}`zhu2017unpaired` (no mask, no classifier loss) do as well? Each
# variant is trained with the same steps and batch as the full model on the pairs below; composite
# columns are N/A where a variant has no mask, as in the dissertation.

# %%
T3, abl, abl_rows = time.perf_counter(), {}, []
pairs = [(d, tuple(map(str, p))) for d, p in P.ablation_pairs]
runs = [(k, v) for k in pairs for v in ("norec", "nomask", "cyclegan")]
jobs = [(tasks[k], stages.weights(cfg, k[0], chosen), v) for k, v in runs]
models = dict(zip(runs, stages.train_many(cfg, jobs), strict=True))
for k in pairs:
    for v in ("full", "norec", "nomask", "cyclegan"):
        tr = trained[k] if v == "full" else models[(k, v)]
        c = evaluate.COLUMNS if v == "full" else evaluate.COLUMNS[:3]
        abl[(k, v)] = evaluate.substitutability(tr, tasks[k].pair, c, P.bb_epochs, P.seed)
        fl = evaluate.flips(tr, tasks[k].bb, tasks[k].pair.test.x)
        abl_rows.append(stages.substitution_rows(tasks[k].pair.title, abl[(k, v)], ceil[k], variant=v,
                                              **{"composite flip": fl.composite.mean()}))
glued.show(t_ablation=time.perf_counter() - T3)
pd.DataFrame(abl_rows).style.format(precision=2)

# %% [markdown]
# The CycleGAN-style baseline never sees the black box, so its flip rate says how far plain
# image-to-image translation between the two classes already crosses the boundary; the claims below
# compare the "Both transformed" column, where every training image is generated.

# %% [markdown]
# ## Paper vs this book
#
# Each row is decided by the rule shown beside it (`facerobust.experiments.claims`): rates by their
# Wilson 95% interval, differences of per-image AOSPC by a paired bootstrap 95% interval, accuracy
# gaps by Newcombe's interval. A difference within noise is inconclusive.

# %%
# NBVAL_CHECK_OUTPUT
from facerobust.experiments import claims as C
from facerobust.experiments.explaingan import claims_table as eg_claims

rows = eg_claims.rows(flip, sweep, aos, subst, ceil, abl, celeba=P.celeba_root is not None)
counts = C.counts(rows)
glued.show(n_holds=counts[C.HOLDS], n_fails=counts[C.FAILS], n_inconc=counts[C.INCONCLUSIVE],
           n_untest=counts[C.UNTESTABLE])
C.table(rows)

# %% [markdown]
# {glue:text}`n_holds` claims hold, {glue:text}`n_fails` do not, {glue:text}`n_inconc` are
# inconclusive and {glue:text}`n_untest` cannot be tested here (Ultrasound is not public; CelebA needs
# a local copy). The acceptance points E1-E2 and the kappa trend E3 are this book's own checks of
# claims the dissertation makes without numbers.

# %% [markdown]
# ### E7 with a longer GAN training, and E9-E11 over seeds
#
# Two rows rest on choices of this profile rather than on the data. E7 (MNIST substitutability near
# the ceiling) is judged after {glue:text}`steps` GAN steps, a CPU budget; and E9-E11 compare variants
# trained once each, where a second training seed, or another CPU, trains other networks.
# `tools/explaingan_study.py` measures both once, outside the chapter's run. Its `steps` study
# trains each MNIST pair's model for longer, exactly as the chapter trains it (its 200-step
# snapshot is the chapter's model, checked weight for weight), and judges E7 at each step count with
# the chapter's rule; its `seeds` study trains every ablation variant with three training seeds
# (`benchmarks/results/explaingan_steps.json`, `explaingan_seeds.json`, read by
# `facerobust.experiments.explaingan.studies`):

# %%
from facerobust.experiments.explaingan import studies

steps_study, seeds_study = studies.read("steps"), studies.read("seeds")
glued.show(steps_summary=studies.steps_summary(steps_study, P.steps), seeds_summary=studies.seeds_summary(seeds_study))
studies.steps_table(steps_study) if steps_study is not None else None

# %%
studies.seeds_table(seeds_study) if seeds_study is not None else None

# %% [markdown]
# {glue:text}`steps_summary` {glue:text}`seeds_summary` Where a study has been run, its verdicts, not
# the single run of the claims table above, are the ones this chapter stands by for E7 and E9-E11.

# %% [markdown]
# ## What differs from the paper
#
# - **Data.** MNIST-5k (5,000 real digits) instead of MNIST's 60k, split 1k / 2.5k / 0.5k instead of
#   2k / 50k / 8k; Fashion-MNIST as in the dissertation. CelebA runs only when `celeba_root` points at
#   a copy (`full`); the Ultrasound set is not public, so its columns of Tables 4.1 and 4.3 cannot be
#   tested, and our Table 4.3 is on one MNIST and one Fashion-MNIST pair instead.
# - **Models.** The dissertation gives "DCGAN-like" and no layers: ours are two stride-2 convolutions
#   per encoder and discriminator (the first private to each class, the rest shared) and a decoder
#   with three transposed-convolution heads, width {glue:text}`width` and a {glue:text}`zdim`-d code,
#   sized for a CPU. The black box is our small CNN. The mask head's bias starts at -3 (masks start
#   at about 5% and grow where the classifier loss needs them); started at 0.5 everywhere, the masks
#   shrank far too slowly for a CPU budget of a few hundred steps (development runs, not shown).
# - **Coefficients and schedule.** None are printed; ours were chosen on the validation split as shown
#   above, {glue:text}`steps` steps of {glue:text}`batch` images per class (a CPU budget; the steps
#   study beside the claims table trains longer). The discriminator sees one random third of its
#   three fake kinds per step (an unbiased estimate of (4.8)).
# - **AOSPC.** The map normalisation (positive part over maximum), the segmentation (connected
#   components) and $f$ (logit and probability) are our choices where the text is silent.
# - **Substitutability.** Generated images are made from the classifier-train split's images of the
#   other class; the ceiling is the black box itself, one training run each in the chapter's run
#   (the seed study beside the claims table decides the ablation rows over three seeds).

# %%
glued.show(width=P.width, zdim=P.z_dim, steps=P.steps, batch=P.batch, lr=P.lr, t_total=time.perf_counter() - T_START)

# %% [markdown]
# ## Exercises
#
# ```{exercise-start}
# :label: ex-06-kappa
# ```
# Retrain the model of the coefficient choice (MNIST 4 vs 9) with $\kappa$ = 0.3 instead of the
# chapter's value and compare its mean mask area and composite flip rate with the chosen model's. Does
# a larger $\kappa$ let the mask grow, and does the flip rate gain from it? Run the cell below.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-06-kappa
# :class: dropdown
# ```

# %%
wide_k = stages.train(cfg, grid_task, stages.weights(cfg, "mnist5k", chosen, kappa=0.3))
pd.DataFrame([stages.flip_row(f"kappa = {k}", evaluate.flips(m, grid_task.bb, grid_task.pair.test.x))
              for k, m in ((P.kappa["mnist5k"], model), (0.3, wide_k))]).set_index("pair")

# %% [markdown]
# $L_{count}$ only penalises areas above $\kappa$, so raising it removes a pull, not adds a push: the
# mask grows only as far as the classifier loss needs it to. Compare the kappa sweep above, where
# the area follows $\kappa$ only above the area the other terms settle on.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-06-moved-mask
# ```
# Does the mask's *place* matter, or only how much of the image it lets the transformation change?
# Move every mask of the coefficient-choice model by a few pixels (keeping its shape and area) and
# compose again. How often does the black box still cross to the other class? Answer by running the
# cell below.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-06-moved-mask
# :class: dropdown
# ```

# %%
xs = grid_task.pair.test.x[explain.predicted(grid_task.bb, grid_task.pair.test.x) == 0]
e = model.explain(xs, 0)
rows = {}
for shift in (0, 4, 8):
    m_ = torch.roll(e.mask, shifts=(shift, shift), dims=(2, 3))
    with torch.no_grad():
        rows[f"mask moved by {shift} px"] = (grid_task.bb(xs * (1 - m_) + e.transformed * m_).argmax(1) == 1).float().mean().item()
pd.Series(rows, name="composite flip rate").to_frame()

# %% [markdown]
# The unmoved mask is the chapter's composite. Moved by a few pixels, the same transformation pasted
# through the same amount of mask almost never flips the black box: the mask sits where the two
# classes differ (the bar that closes a 4 into a 9), and its place, not its size, is what crosses the
# boundary.
# ```{solution-end}
# ```

# %% [markdown]
# ## Rerun it
#
# ```bash
# .venv/bin/python -m facerobust.runner notebooks/06_explaingan.py --profile ci -o /tmp/06.ipynb
# .venv/bin/python -m facerobust.runner notebooks/06_explaingan.py --profile default -o /tmp/06.ipynb
# .venv/bin/python -m facerobust.runner notebooks/06_explaingan.py --profile full \
#     -p celeba_root /data/celeba -o /tmp/06_full.ipynb
# ```
#
# This run (profile as set above) took {glue:text}`t_total:.0f` s in all: {glue:text}`t_train:.0f` s
# for the coefficient choice and the training of every pair, {glue:text}`t_aospc:.0f` s for the AOSPC
# maps and curves, {glue:text}`t_subst:.0f` s for substitutability and {glue:text}`t_ablation:.0f` s
# for the ablations. Trained models are cached (`.cache/models`), so a second run skips training.
#
# ## References
#
# The dissertation {cite}`samangouei2019thesis` and the ExplainGAN paper {cite}`samangouei2018explaingan`;
# DCGAN {cite}`radford2016unsupervised`, reconstructions as fakes {cite}`larsen2016autoencoding`, total
# variation {cite}`rudin1992nonlinear`, CycleGAN {cite}`zhu2017unpaired`; the baselines
# {cite}`shrikumar2016not,selvaraju2017gradcam,simonyan2014deep,zeiler2014visualizing,bach2015pixel`
# through Captum {cite}`kokhlikyan2020captum`; AOSPC after {cite}`samek2017evaluating`; MNIST
# {cite}`lecun1998gradient` and Fashion-MNIST {cite}`xiao2017fashion`, CelebA {cite}`liu2015celeba`.
# Full entries are in the [bibliography](../bibliography.md).
