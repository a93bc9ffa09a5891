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
# # 4. Attribute-based continuous authentication
#
# Chapter 2 of Samangouei's dissertation {cite}`samangouei2019thesis` (after
# {cite}`samangouei2015attribute,samangouei2017facial,samangouei2016cnnaa`) authenticates the owner of a
# phone again and again from the front camera by describing every face with binary facial attributes
# instead of a raw embedding: hand-crafted attribute classifiers (ACAA, Part A) and small multi-task
# CNNs per face part (CNNAA, Part B), compared video to video. Its evidence is on MOBIO, UMDAA-01,
# PubFig and CelebA, none of which can be had here, so every EER and accuracy it prints is "not
# testable here". This chapter makes the whole method run on the book's real faces and real
# pretrained face models, measures it on a synthetic capture-session protocol (robustness to capture
# conditions, not the dissertation's numbers), and reproduces exactly what arithmetic can: the
# parameter counts of its 20 part networks and its battery-life sums.

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
P = params.load("04_continuous_auth", profile, overrides)
gen = session.start(P.seed, threads=P.threads)
P

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from facerobust import glued
from facerobust.data import capture_sessions as cs, face_parts as fp
from facerobust.device import resolve
from facerobust.experiments.continuous_auth import acaa_run, claims_table as cl, figures, labels
from facerobust.experiments.continuous_auth import cnnaa_run, model_attrs, part_b, protocols, videos as vid
from facerobust.experiments.continuous_auth import celeba_cnnaa, celeba_parts
from facerobust.experiments import claims as C
from facerobust.metrics import verification as vf
from facerobust.models import acaa, cnnaa

device = resolve(P.device)  # CUDA, else MPS, else the CPU for "auto"
print("device:", device)

# %% [markdown]
# ## The method
#
# **Part A, ACAA** (Sec. 2.3). Every face is aligned from its landmarks and cut into components: eyes,
# nose, mouth, hair, their unions and the full face. For each attribute $A_k$, every candidate
# classifier of the grid *component x feature x cell size* (LBP, ColorLBP, HOG, ColorHOG from
# scikit-image) goes through PCA keeping 99% of the energy and an RBF-SVM (scikit-learn); the five
# with the best accuracy on a balanced selection split vote, weighted by that accuracy (Eq. 2.1):
#
# $$
# f_{a_k}(F)=\frac{\sum_{i=1}^{5} w_k^i\, Cl_k^i(F)}{\sum_{i=1}^{5} w_k^i},\qquad Cl_k^i(F)\in\{0,1\}.
# $$ (eq-ca-vote)
#
# ```{literalinclude} /lib/facerobust/models/acaa.py
# :pyobject: vote
# ```
#
# **Verification** (Sec. 2.3.3). A video's descriptor is the mean of its frames' attribute vectors;
# gallery video $e_i$ and probe video $t_j$ are compared by the inverse distance of Eq. 2.2, and the
# LBP and attribute similarity matrices are fused after z-scoring each over all its entries (Eq. 2.3):
#
# $$
# s_{i,j}=\frac{1}{\lVert e_i-t_j\rVert_2},\qquad
# S_{\text{fusion}}=\tilde S_{\text{LBP}}+\tilde S_{\text{attrs}},\quad
# \tilde s_{i,j}=\frac{s_{i,j}-\bar S}{\sigma(S)}.
# $$ (eq-ca-verify)
#
# ```{literalinclude} /lib/facerobust/metrics/verification.py
# :pyobject: inverse_distance
# ```
#
# ```{literalinclude} /lib/facerobust/metrics/verification.py
# :pyobject: fuse
# ```
#
# Genuine pairs are the (gallery, probe) pairs of one identity, every other pair is an impostor pair;
# the equal error rate (EER) is where the false accept rate equals the false reject rate on the ROC
# (`facerobust.metrics.verification.roc`, interpolated along the curve by `eer_from_curve`).

# %% [markdown]
# ## One batch by hand
#
# Six real faces, three of them Obama in three different photos: the aligned chip of each, one
# "low light" frame of each rendered from it, the uniform-LBP histogram of each full face, and the
# Eq. 2.2 similarity of every clean chip (gallery) to every low-light frame (probe).

# %%
chips, boxes, face_labels = vid.real_chips(P.chip_size, P.chip_padding)
pick = [face_labels.index[face_labels.face_id == f][0] for f in
        ("obama1", "obama2", "obama3", "biden", "sample3_1", "t1_2")]
rng = np.random.default_rng(P.seed)
probes = [cs.render(chips[i], cs.SESSIONS["low"], rng) for i in pick]
face_crop = [fp.crop_parts(chips[i], boxes[i], ("full_face",))["full_face"] for i in pick]
probe_crop = [fp.crop_parts(p, boxes[i], ("full_face",))["full_face"] for p, i in zip(probes, pick, strict=True)]
gal = np.stack([acaa.extract(c, "LBP", P.lbp_cell) for c in face_crop])
prb = np.stack([acaa.extract(c, "LBP", P.lbp_cell) for c in probe_crop])
names = list(face_labels.face_id[pick])
sim_by_hand = pd.DataFrame(vf.inverse_distance(gal, prb), index=names, columns=names)
sim_by_hand.round(2)

# %% mystnb={"figure": {"caption": "The nine face components cut from the five dlib landmarks on a real face (left), and each crop at its fixed size.", "name": "fig-ca-parts"}}
figures.parts_figure(chips[pick[0]], boxes[pick[0]])
plt.show()

# %% [markdown]
# {numref}`fig-ca-parts` shows the components of Sec. 2.3.2 on obama1
# (`facerobust.data.face_parts.part_boxes`): the five landmarks are mapped into the aligned chip, and
# every box is placed from the eye line, the nose and the inter-ocular distance. In the table above,
# the diagonal (same face) is the largest entry of its column for
# {glue:text}`ca_hand_diag` of the six low-light probes; Obama's three photos are each other's
# genuine pairs, which the capture-session protocol below treats the same way.

# %%
glued.show(ca_hand_diag=int((sim_by_hand.to_numpy().argmax(0) == np.arange(len(pick))).sum()))

# %% [markdown]
# ## Attribute labels from the pretrained models
#
# The dissertation labelled PubFig by thresholding Kumar et al.'s classifier outputs
# {cite}`kumar2009attribute` and keeping the confident ones. We do the same with the book's
# pretrained models on every real face: three gender models, three age models and the expression
# model (`facerobust.experiments.continuous_auth.labels`). A label is kept where every model of the
# attribute lies more than `label_margin` from its threshold on the same side.

# %%
scores = labels.model_scores()
consensus = labels.consensus(scores, P.label_margin)
counts = labels.label_counts(consensus, face_labels)
glued.show(ca_n_faces=len(consensus), ca_n_ids=face_labels.identity.nunique())
counts

# %% [markdown]
# The {glue:text}`ca_n_faces` faces ({glue:text}`ca_n_ids` identities) are all the detectable faces
# at a usable resolution in the book's photos; the 25x25 LFW crops of scikit-image are too small for
# these models and are not used. Young and Senior are read from the models' age estimates (below 35,
# above 50 years). Eyeglasses, in the hand label file, is absent from every face and cannot be
# trained. This is four attributes where the dissertation has 44.
#
# ## Capture sessions
#
# Every face becomes an enrolment video, two videos in each of the sessions office / low light /
# natural light (take A is the "enrolment task", take B the others) and one partial-face video, each
# of `n_frames` frames rendered with random capture conditions (`facerobust.data.capture_sessions`).

# %%
videos = vid.make_videos(P.chip_size, P.chip_padding, P.sessions, P.n_frames, P.seed)
glued.show(ca_n_videos=len(videos.frames), ca_n_frames_total=len(videos.frames) * videos.n_frames)
videos.meta.groupby(["session", "take"]).size().rename("videos").to_frame().T

# %% mystnb={"figure": {"caption": "One real face (obama2) in every session and take: enrolment, office, low light, natural light (takes A and B) and a partial face.", "name": "fig-ca-sessions"}}
figures.sessions_figure(videos, "obama2")
plt.show()

# %% [markdown]
# ## ACAA: model selection and the Eq. 2.1 vote
#
# The faces are split into two folds of identities; the classifiers trained on one fold score the
# other, so no classifier scores a face it has seen. The grid runs on the first frame of each training
# video, split 80/20 by identity into training and selection sets with equal positives and negatives.

# %%
keys = acaa_run.fitting_grid(P.grid_parts, P.grid_features, P.grid_cells)
res_acaa = acaa_run.run_acaa(videos, consensus, keys, P.grid_frames, P.top, P.seed)
acc = res_acaa.accuracy.set_index("attribute")
glued.show(ca_n_grid=len(keys), ca_acaa_acc=", ".join(f"{a} {v:.2f}" for a, v in acc.accuracy.items()))
acc

# %%
res_acaa.kept.groupby(["attribute", "scored fold"]).head(2).reset_index(drop=True)

# %% [markdown]
# The grid has {glue:text}`ca_n_grid` candidates per attribute (the dissertation's has 216). Held out,
# the Eq. 2.1 vote thresholded at 0.5 reaches {glue:text}`ca_acaa_acc` over all frames of the other
# fold, where Table 2.1 reports 0.65-0.98 on PubFig with thousands of training faces per attribute.
# Trained on a dozen identities, most attributes are barely above chance: this is the limit of the
# data here, not of the method. The table of kept classifiers (first two per attribute and fold) shows
# which component and feature won.
#
# ## Verification: same session, cross session, enrolment
#
# The LBP baseline describes each frame by uniform-LBP histograms of the grey full face; "Attributes"
# by the ACAA vector above; "Model attributes" by the probabilities of five pretrained attribute
# models (face-api and dlib gender and age, the expression model's "happy"), the closest stand-in here
# for attribute detectors trained on large data (`facerobust.experiments.continuous_auth.model_attrs`).
# Each is fused with LBP by Eq. 2.3; the model attributes are also compared by Part B's inner product.

# %%
model_probs = model_attrs.frame_probabilities(videos, P.chip_padding)
desc = {"LBP": protocols.descriptors(videos, acaa_run.lbp_frames(videos, P.lbp_cell)),
        "Attributes": protocols.descriptors(videos, res_acaa.scores),
        "Model attributes": protocols.descriptors(videos, model_probs)}
desc["Model attributes (inner product)"] = desc["Model attributes"]
fusions = {"Fusion": ("LBP", "Attributes"), "Fusion (models)": ("LBP", "Model attributes")}
ev = protocols.evaluate(videos, desc, P.sessions, fusions, P.n_boot, P.seed,
                        inner=["Model attributes (inner product)"])
eers = protocols.eer_table(ev)
eers.round(3)

# %%
def key(m: str) -> str:
    return m.replace(" ", "_").replace("(", "").replace(")", "")


alltog = eers.loc["enrol -> altogether"]
glued.show(**{f"ca_{kind}_{key(m)}": protocols.pooled(ev, kind, m)[0] for kind in ("same", "cross")
              for m in ("LBP", "Attributes", "Fusion", "Model attributes", "Fusion (models)")},
           **{f"ca_all_{key(m)}": float(alltog[m]) for m in alltog.index})

# %% mystnb={"figure": {"caption": "ROC curves of LBP, attributes and their fusion under three protocols (EER in the legend).", "name": "fig-ca-roc"}}
s0 = P.sessions[0]
roc_names = [f"{s0} -> {s0}", next(n for n in eers.index if n.startswith(f"{s0} -> ") and "," in n),
             "enrol -> altogether"]
figures.roc_figure(ev, roc_names, ["LBP", "Attributes", "Model attributes", "Fusion (models)"])
plt.show()

# %% [markdown]
# Averaged over the three sessions, LBP has a same-session EER of {glue:text}`ca_same_LBP:.3f` and a
# cross-session EER of {glue:text}`ca_cross_LBP:.3f`; our ACAA attributes
# {glue:text}`ca_same_Attributes:.3f` and {glue:text}`ca_cross_Attributes:.3f`, their fusion with LBP
# {glue:text}`ca_same_Fusion:.3f` and {glue:text}`ca_cross_Fusion:.3f`; the pretrained models'
# attributes {glue:text}`ca_same_Model_attributes:.3f` and {glue:text}`ca_cross_Model_attributes:.3f`,
# and their fusion with LBP {glue:text}`ca_same_Fusion_models:.3f` and
# {glue:text}`ca_cross_Fusion_models:.3f` ({numref}`fig-ca-roc`). Enrolled from the clean video and
# probed with every session, the EERs are LBP {glue:text}`ca_all_LBP:.3f`, ACAA
# {glue:text}`ca_all_Attributes:.3f`, model attributes {glue:text}`ca_all_Model_attributes:.3f` (with
# the inner product {glue:text}`ca_all_Model_attributes_inner_product:.3f`) and fusion
# {glue:text}`ca_all_Fusion_models:.3f`. Two things make this protocol unlike AA01. The genuine pairs of
# all faces but Obama's come from the same photo under different rendered conditions, which favours a
# texture descriptor such as LBP; and four or five attributes separate far fewer people than 44. The
# identity-bootstrap intervals in the claims table say which differences are beyond noise.
#
# ## The platform models: linear SVMs at four image scales
#
# Sec. 2.3.10 replaced the grid by one linear SVM per attribute on grey + RGB LBP of the 128x168 full
# face at one image scale, read as the signed distance to the margin.

# %%
plat = [acaa_run.run_platform(videos, consensus, s, P.platform_cell) for s in P.platform_scales]
pdesc = {r.method: protocols.descriptors(videos, r.scores) for r in plat}
pev = protocols.evaluate(videos, pdesc, P.sessions, None, P.n_boot, P.seed)
ptab = protocols.eer_table(pev)
ptab.loc[["enrol -> altogether"]].round(3)

# %% [markdown]
# ## Part B: CNNAA networks
#
# MultiDeep and MultiWide have one network per face region (Table 2.12): Deep is conv 7x7x32, three
# conv 5x5x32, four conv 3x3x32 (each block followed by a 3x3/2 max-pool), FC 64 and a 32-d embedding;
# Wide is conv 7x7x128, conv 5x5x128, conv 3x3x128, FC 128 and a 128-d embedding; both end in two
# logits per attribute of the region. Convolutions are SAME, pools VALID, the convolutions and FC
# layers carry biases, the logits none, and the embedding a learned gain; with this reading
# (`facerobust.models.cnnaa.PartNet`) every count of Table 2.16 is reproduced exactly.

# %%
sizes = part_b.size_table(P.latency_repeats)
glued.show(ca_n_equal=int((sizes.difference == 0).sum()),
           ca_deep_ms=float(sizes[sizes.family == "Deep"]["ms / frame here"].sum()),
           ca_wide_ms=float(sizes[sizes.family == "Wide"]["ms / frame here"].sum()))
sizes.style.format({"ms / frame here": "{:.1f}", "ours": "{:,}", "Table 2.16": "{:,}"}).hide(axis="index")

# %% [markdown]
# {glue:text}`ca_n_equal` of 20 counts equal the printed ones. On this CPU (one frame, median of
# `latency_repeats` passes, random weights) all ten Deep networks take {glue:text}`ca_deep_ms:.0f` ms
# and all ten Wide ones {glue:text}`ca_wide_ms:.0f` ms, against 1.22 s and 2.10 s on the Nexus 5.
# The Binary full-face networks are where the text and the architecture part ways:

# %%
# NBVAL_CHECK_OUTPUT
binary_tab = part_b.binary_arithmetic()
binary = {f: cnnaa.n_parameters(cnnaa.binary_net(a)) for f, a in (("Deep", cnnaa.DEEP), ("Wide", cnnaa.WIDE))}
binary_tab

# %% [markdown]
# The same layers at 128x128 with one attribute give 581,280 / 4,278,912 weights, 2,880 / 10,752 short
# of the printed 584,160 / 4,289,664 (with our biases and gain 2,496 / 9,984 short). Neither gap is a
# whole number of FC-input positions times the FC width for both families, so the full-face input or
# layout of the dissertation's Binary networks must differ from Table 2.12 in a way the text does not say.
#
# The multi-task loss of Eq. 2.5 (with the minus sign the text lost) sums the softmax cross-entropy
# over the region's attributes, over the images that carry each attribute, divided by the batch size:
#
# $$
# l_q(w)=-\frac1N\sum_{a=1}^{N^q}\sum_{i=1}^{n^q_a}\Big[(1-y^a_i)\log p(y^a_i{=}0\mid w)+y^a_i\log
# p(y^a_i{=}1\mid w)\Big].
# $$ (eq-ca-multitask)
#
# ```{literalinclude} /lib/facerobust/models/cnnaa.py
# :pyobject: multitask_loss
# ```
#
# Rare classes are fed by one queue per attribute holding the images with its rare class, plus one
# queue of all-majority images, a queue picked uniformly per draw (`cnnaa.QueueSampler`). On the real
# faces' labels, the share of each rare class among 2,000 draws:

# %%
lab01 = consensus.replace(-1, 0).to_numpy()
sampler = cnnaa.QueueSampler(lab01, seed=P.seed)
drawn = lab01[sampler.draw(2000)]
share = pd.DataFrame({"rare class": sampler.rare, "share in the data": (lab01 == sampler.rare).mean(0),
                      "share in draws": (drawn == sampler.rare).mean(0)}, index=consensus.columns)
glued.show(ca_n_queues=sampler.n_queues, ca_min_share=float(share["share in draws"].min()))
share.round(3)

# %% [markdown]
# With {glue:text}`ca_n_queues` queues (one per attribute and the all-majority queue), the rarest class
# is drawn {glue:text}`ca_min_share:.2f` of the time, at least the 1/(queues + 1) a uniform choice of
# queue guarantees, whatever its share in the data.
#
# Training these networks as the dissertation did needs CelebA (160k faces, a GPU), which cannot be
# had here. To show the training loop at work (Adam on Eq. 2.5, batches from the queue sampler, a
# fresh flip / contrast / gamma distortion per draw; `cnnaa_run.train`), we train the MultiDeep
# networks of the regions in `cnnaa_regions` on our frames, one fold of identities each, for
# `cnnaa_steps` steps, and read their attribute probabilities as a Part B feature.

# %%
cnn = cnnaa_run.run_cnnaa(videos, consensus, P.cnnaa_regions, P.cnnaa_steps, P.cnnaa_batch, P.cnnaa_lr,
                          {"sessions": P.sessions, "n_frames": P.n_frames, "chip": P.chip_size,
                           "padding": P.chip_padding, "margin": P.label_margin}, P.seed, device, P.cluster)
cev = protocols.evaluate(videos, {"MD-CNNAA (ours)": protocols.descriptors(videos, cnn.scores)},
                         P.sessions, None, 0, P.seed, inner=["MD-CNNAA (ours)"])
first, last = cnn.losses.iloc[:10].mean(), cnn.losses.iloc[-10:].mean()
glued.show(ca_cnn_eer=float(protocols.eer_table(cev).loc["enrol -> altogether"].iloc[0]))
pd.DataFrame({"Eq. 2.5 loss, first 10 steps": first, "last 10 steps": last}).round(3)

# %% [markdown]
# Trained from scratch on a dozen identities for a few steps, these networks are weak: Part B's inner
# product of their attribute probabilities gives an EER of {glue:text}`ca_cnn_eer:.3f` enrolled from
# the clean video and probed with every session. The numbers the dissertation reports for them need
# CelebA.
#
# ## Part B on CelebA (`full` profile, given `celeba_root`)
#
# Given a CelebA folder (the official layout plus its five aligned landmarks,
# `list_landmarks_align_celeba.txt`), the chapter trains the networks as Sec. 2.4 does: every Multi*
# network on its region's window, every Binary* network on the 128x128 full face, with Eq. 2.5 (Eq. 2.4
# for one attribute), Adam, the queue sampler and fresh distortions, over CelebA's train split streamed
# from disk by a `DataLoader` (`facerobust.experiments.continuous_auth.celeba_cnnaa`). Each window has
# its Table 2.13 size, centred on its part with no rescaling; eyes, nose and mouth come from the
# landmarks, the upper head, mouth-and-chin and ear windows sit at fixed multiples of the inter-ocular
# distance from them (the text does not say where):
#
# ```{literalinclude} /lib/facerobust/experiments/continuous_auth/celeba_parts.py
# :pyobject: centre
# ```
#
# Which attributes each region predicts is not given either (only Mustache -> Mouth, NoseMouth,
# MouthChin); our assignment keeps Table 2.13's counts, 133 pairs, every attribute in at least one region:

# %%
# NBVAL_CHECK_OUTPUT
pd.DataFrame({"attributes": {r: len(a) for r, a in celeba_parts.ASSIGNMENT.items()},
              "Table 2.13": {r: cnnaa.REGIONS[r][2] for r in celeba_parts.ASSIGNMENT},
              "assigned": {r: ", ".join(a) for r, a in celeba_parts.ASSIGNMENT.items()}})

# %% [markdown]
# As in Sec. 2.4.3, a Multi* attribute is predicted by a linear SVM on the concatenated embeddings of
# the regions it is assigned to, fitted on the development split (the network's own softmax heads,
# averaged over those regions, are shown beside it); a Binary* network predicts its attribute itself.
# Accuracy is measured on the test split, per attribute, beside Table 2.11 (its lost column headers read
# as c1-c4 = MultiDeep, MultiWide, BinaryDeep, BinaryWide, the spec's reading (i)).

# %%
celeba_res = None
if P.celeba_root is not None:
    limits = {"train": P.celeba_train_limit, "valid": P.celeba_valid_limit, "test": P.celeba_test_limit}
    celeba_res = celeba_cnnaa.run_celeba(P.celeba_root, P.celeba_families, P.celeba_regions, P.celeba_binary,
                                         P.celeba_steps, P.celeba_batch, P.cnnaa_lr, limits, P.celeba_workers,
                                         P.n_boot, P.seed, device, P.cluster)
    print("images per split:", celeba_res.sizes)
    display(celeba_res.summary.round(2))
    display(celeba_res.table.round(1))
else:
    print("celeba_root is null in this profile: CNNAA is not trained on CelebA (claim B1 is not testable).")

# %% [markdown]
# ## Discovered attributes: SSC and OMP
#
# Sec. 2.4.4 clusters the embeddings of each region by sparse subspace clustering
# {cite}`elhamifar2013ssc`: each point is written as a sparse combination of the others (Eq. 2.6-2.7),
# and spectral clustering runs on $|C|+|C|^\top$; a new embedding is coded by OMP {cite}`pati1993omp`
# with sparsity 20 (Eq. 2.8), and its discovered-attribute feature is the softmax over clusters of the
# norms of the per-cluster reconstructions (Eq. 2.9):
#
# $$
# \min_{C}\ \lVert C\rVert_1+\lVert D-DC\rVert_F^2\ \ \text{s.t. } \operatorname{diag}(C)=0,
# \qquad p(c=i\mid D)=\frac{\exp\lVert D_{:,i}f_i\rVert}{\sum_{k}\exp\lVert D_{:,k}f_k\rVert}.
# $$ (eq-ca-ssc)
#
# ```{literalinclude} /lib/facerobust/models/disc_attrs.py
# :pyobject: ssc_coefficients
# ```
#
# With no trained MultiDeep embeddings, we validate it where the answer is known: points on random
# 4-dimensional subspaces of $\mathbb R^{32}$ (the MultiDeep embedding size), plus noise.

# %%
ssc = part_b.ssc_synthetic(P.ssc_subspaces, P.ssc_dim, 32, P.ssc_per, alpha=P.ssc_alpha,
                           sparsity=P.omp_sparsity, seed=P.seed)
glued.show(ca_ssc_acc=ssc.accuracy, ca_ssc_held=ssc.held_out_accuracy, ca_omp_nz=int(ssc.nonzeros.max()))

# %% mystnb={"figure": {"caption": "SSC on a synthetic union of subspaces: the affinity sorted by true subspace (left) and the clusters found (right, two principal axes).", "name": "fig-ca-ssc"}}
figures.ssc_figure(ssc)
plt.show()

# %% [markdown]
# SSC recovers the subspaces with clustering accuracy {glue:text}`ca_ssc_acc:.3f`
# ({numref}`fig-ca-ssc`: the affinity is block-diagonal); OMP codes of held-out points have at most
# {glue:text}`ca_omp_nz` non-zeros, and the Eq. 2.9 feature's largest entry names their subspace for
# {glue:text}`ca_ssc_held:.3f` of them.
#
# ## Battery life (Eq. 2.10)
#
# $$ d=\frac{C}{P_n+\beta\,\alpha\,P_d} $$ (eq-ca-battery)

# %%
# NBVAL_CHECK_OUTPUT
bat = part_b.battery_table()
glued.show(ca_bat_real=float(bat["hours (ours)"].iloc[2]))
bat.round(3)

# %% [markdown]
# The worst case rounds to the printed 6.3 h; the realistic case gives {glue:text}`ca_bat_real:.2f` h,
# not the printed 12.85 h.
#
# ## Paper vs this book
#
# Rule: each row states its test; rows marked * are analogues on our capture-session protocol, judged
# on the 95% identity-bootstrap interval of the difference (a claim holds when the whole interval lies
# on its side, fails when it lies wholly on the other, is inconclusive otherwise). Counts and battery
# hours are exact arithmetic. Rows that need MOBIO, AA01, PubFig, CelebA or a Nexus 5 are "not
# testable here".

# %%
deep_ms = float(sizes[sizes.family == "Deep"]["ms / frame here"].sum())
acc_text = ", ".join(f"{a} {v:.2f}" for a, v in acc.accuracy.items())
rows = cl.build(ev, pev, sizes, binary, deep_ms, bat, ssc.nonzeros, P.omp_sparsity, acc_text,
                celeba=None if celeba_res is None else celeba_res.summary)
claims_tab = C.table(rows)
n = C.counts(rows)
glued.show(**{f"ca_n_{k.replace(' ', '_')}": v for k, v in n.items()})
claims_tab

# %% [markdown]
# {glue:text}`ca_n_holds` rows hold, {glue:text}`ca_n_does_not_hold` do not,
# {glue:text}`ca_n_inconclusive` are inconclusive and {glue:text}`ca_n_not_testable_here` are not
# testable here. B7's time per frame is wall-clock and moves with the CPU and its load: two cold
# builds of one commit on one machine (an AMD EPYC with AVX2) gave 62 ms idle and 69 ms beside other
# jobs, and every other row identically (`benchmarks/results/idle_loaded.json`).
#
# ## What differs from the paper
#
# - **Data.** No MOBIO, UMDAA-01, PubFig, LFW attribute labels or CelebA: the {glue:text}`ca_n_faces`
#   real faces of the book's photos, rendered as {glue:text}`ca_n_videos` videos
#   ({glue:text}`ca_n_frames_total` frames) under synthetic capture conditions. Genuine pairs are the
#   same photo under different conditions except for Obama's three photos; this measures robustness to
#   capture conditions, not the dissertation's numbers.
# - **Labels.** Four attributes from the consensus of the book's pretrained models instead of 44 from
#   Kumar et al.'s classifiers; the confidence threshold is our `label_margin` (the dissertation's is not
#   given).
# - **Landmarks and components.** dlib's five points {cite}`kazemi2014one` instead of Asthana et al.'s
#   detector; the mouth is placed below the nose at an average face's distance.
# - **Grid.** Smaller than 9 x 4 x 6 in `ci` and `default` (see the parameters); SVM C = 1 and
#   gamma "scale" (not given in the text); features standardised before PCA.
# - **CNNAA.** The networks are built and measured; a few region networks are trained briefly on our
#   frames. On CelebA (`full` with `celeba_root`) they train for a fixed number of Adam steps
#   (`celeba_steps`, `celeba_batch`; the text gives neither, nor its learning rate) without early
#   stopping on the development split; the SVM's C is fixed at 1 instead of tuned on the development
#   split and refitted there. Windows come from CelebA's five landmarks, not Asthana et al.'s, and the
#   attribute-to-region assignment of Table 2.13 is ours (shown above); on our frames, every region
#   learns the four consensus attributes. The
#   constant +384 / +768 of Table 2.16 is read as biases plus an embedding gain (its origin is not
#   stated). Latencies are this CPU's, with random weights.
# - **Model attributes.** Beside our ACAA classifiers, the probabilities of five pretrained models
#   (gender, age, smiling) stand in for attribute detectors trained on large data.
# - **Protocol sizes.** EERs rest on a few dozen genuine pairs per protocol; intervals come from
#   resampling identities.
#
# ## Exercises
#
# ```{exercise-start}
# :label: ex-04-margin
# ```
# Labels are kept where every pretrained model lies more than `label_margin` from its threshold on
# the same side. Double the margin: how many labels of each attribute survive? Run the cell below.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-04-margin
# :class: dropdown
# ```

# %%
pd.concat({f"margin {m:g}": labels.label_counts(labels.consensus(scores, m), face_labels)
           for m in (P.label_margin, 2 * P.label_margin)}, axis=1)

# %% [markdown]
# A stricter margin keeps fewer, surer labels: faces move from "present" or "absent" to "not
# confident", and an attribute whose models disagree on many faces can drop below what a classifier
# can be trained on. With a dozen identities, the margin trades label noise against label count.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-04-battery
# ```
# The dissertation prints 12.85 h for its "realistic" case. Which product $\beta\alpha$ of Eq. 2.10
# gives 12.85 h with the printed capacity and powers? Solve for it with the battery table above.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-04-battery
# :class: dropdown
# ```

# %%
real = bat.iloc[2]
beta_alpha = (real["C (Wh)"] / 12.85 - real["P_n (W)"]) / real["P_d (W)"]
print(f"beta * alpha for 12.85 h: {beta_alpha:.3f} (the text's alpha = {real['alpha']:g}, "
      f"beta = {real['beta']:g} give {real['alpha'] * real['beta']:.3f})")

# %% [markdown]
# A product only a few percent above the text's 0.5 x 0.2 gives the printed hours: the realistic case
# was most likely computed from rounded inputs, not with another detection rate, and the gap between
# our "hours (ours)" and the printed value is that rounding carried through Eq. 2.10.
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-04-ssc
# ```
# SSC recovers the synthetic subspaces almost perfectly at dimension 4 in $\mathbb R^{32}$. Give each
# subspace as many dimensions as it has points (`ssc_per`), keeping their number: does clustering
# accuracy hold up? Change `dim` in the cell below and run it.
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-04-ssc
# :class: dropdown
# ```

# %%
dim = P.ssc_per
big = part_b.ssc_synthetic(P.ssc_subspaces, dim, 32, P.ssc_per, alpha=P.ssc_alpha, sparsity=P.omp_sparsity,
                           seed=P.seed)
print(f"dimension {P.ssc_dim}: accuracy {ssc.accuracy:.3f}; dimension {dim}: accuracy {big.accuracy:.3f}")

# %% [markdown]
# SSC relies on each point being a sparse combination of the *other* points of its own subspace. With
# as many dimensions as points, no point is in the span of the others of its subspace, so every
# point borrows from other subspaces, the affinity is no longer block-diagonal and the clusters fall
# apart. A subspace needs clearly more points than dimensions, which is one more reason SSC on a
# handful of faces per region would not find attributes.
# ```{solution-end}
# ```

# %% [markdown]
# ## Rerun it
#
# ```bash
# make chapter NB=notebooks/04_continuous_auth.py PROFILE=ci
# make chapter NB=notebooks/04_continuous_auth.py PROFILE=default
# make chapter NB=notebooks/04_continuous_auth.py PROFILE=full
# # CNNAA on CelebA: the full profile given a CelebA folder
# .venv/bin/python -m facerobust.runner notebooks/04_continuous_auth.py --profile full \
#     -p celeba_root /path/to/celeba -o _build/chapters/04_continuous_auth.ipynb
# ```
#
# This run took {glue:text}`ca_elapsed_min:.1f` minutes of wall time and {glue:text}`ca_cpu_min:.1f`
# minutes of processor time (all threads of this kernel; on a busy machine the wall time is the larger,
# on two idle cores it is close to or below the processor time). `ci` has a reduced grid and two frames per
# video; `default` the nine components, four features and three cell sizes; `full` the dissertation's
# 216-candidate grid with eight frames per video and is meant for a faster machine.

# %%
glued.show(ca_elapsed_min=(time.perf_counter() - T_START) / 60, ca_cpu_min=time.process_time() / 60)

# %% [markdown]
# ## References
#
# The dissertation {cite}`samangouei2019thesis` and its papers
# {cite}`samangouei2015attribute,samangouei2017facial,samangouei2016cnnaa`; attribute classifiers
# {cite}`kumar2009attribute`; LBP {cite}`ojala2002lbp`, HOG {cite}`dalal2005hog`; MOBIO
# {cite}`mccool2012mobio`, UMDAA-01 {cite}`fathy2015umdaa`, CelebA {cite}`liu2015celeba`; SSC
# {cite}`elhamifar2013ssc`, OMP {cite}`pati1993omp`; dlib {cite}`king2009dlib,kazemi2014one`.
# Full entries are in the [bibliography](../bibliography.md).
