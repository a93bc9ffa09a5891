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
# # A. Attack your own model
#
# The chapters attack models the book builds. This appendix attacks one it did not build, in the
# form a reader tends to have it: trained on normalised inputs, returning a tuple, with its test set
# as a uint8 numpy array (channels last) and int32 labels. Every attack of the book takes one form of
# input and refuses every other with an error that names the fix; the fixes are four explicit
# adapters in `facerobust.models.adapters`:
#
# | what you have | what the attacks take | adapter |
# |---|---|---|
# | images: numpy, uint8 (0-255), float64, channels last, or (N, H, W) | (N, C, H, W) float32 tensor in [0, 1] | `as_batch(x)` |
# | labels: numpy, a list, int32, or (N, 1) | int64 tensor (N,) | `as_labels(y)` |
# | a model trained on `(x - mean) / std` | a model that takes images in [0, 1] | `Normalized(model, mean, std)` |
# | a model that returns a tuple, a dict or an output object | a model that returns (N, classes) logits | `LogitsOf(model, pick)` |
#
# Why one form: the budget `eps` and the clipping of every attack are in pixel units of [0, 1], so a
# perturbation means the same thing for every model, and an adversarial image is a valid image. Let a
# model normalise its input itself, and the same `eps` means the same change of the picture.

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
import facerobust as fr
from facerobust import params, session

print(fr.check_version())
P = params.load("A_your_own_model", profile, overrides)
gen = session.start(P.seed, threads=P.threads)
P

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from myst_nb import glue
from torch import nn

from facerobust.attacks.deepfool import deepfool
from facerobust.attacks.fgsm import fgsm
from facerobust.data import digits
from facerobust.models import adapters

# %% [markdown]
# ## Your model and your data
#
# The stand-in for "your model" is a small CNN trained the way many tutorials train one: on images
# normalised with the training set's mean and standard deviation, and returning its logits together
# with its features. Your data is what `np.load` or an image library gives you: uint8 pixels, channels
# last, int32 labels. Here both come from MNIST-5k's real digits {cite}`lecun1998gradient`.

# %%
class YourNet(nn.Module):
    """Trained elsewhere on (x - MEAN) / STD; returns (logits, features)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5),
                                      nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.head = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.features(x)
        return self.head(f), f

# %%
MEAN, STD = 0.1307, 0.3081  # the statistics your model was trained with


def as_yours(ds: digits.ImageSet, n: int) -> tuple[np.ndarray, np.ndarray]:
    """What a reader typically holds: uint8 images (N, H, W, C) and int32 labels."""
    return (ds.x[:n] * 255).round().byte().permute(0, 2, 3, 1).numpy(), ds.y[:n].numpy().astype(np.int32)


x_train_np, y_train_np = as_yours(digits.mnist5k("train"), P.n_train)
x_test_np, y_test_np = as_yours(digits.mnist5k("test"), P.n_test)
print(f"images {x_test_np.shape} {x_test_np.dtype}, labels {y_test_np.shape} {y_test_np.dtype}")

# %% [markdown]
# The model is trained in its own convention, as it would have been elsewhere (a few seconds):

# %%
net = YourNet()
xt = (torch.from_numpy(x_train_np).permute(0, 3, 1, 2).float() / 255 - MEAN) / STD
yt = torch.from_numpy(y_train_np).long()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for _ in range(P.epochs):
    for i in torch.randperm(len(xt), generator=gen).split(64):
        loss = nn.functional.cross_entropy(net(xt[i])[0], yt[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
_ = net.eval()

# %% [markdown]
# ## What the attacks say
#
# Handed the model and the data as they are, FGSM {cite}`goodfellow2015explaining`
# (`facerobust.attacks.fgsm.fgsm`) refuses, and each refusal names the adapter that fixes it. We fix
# one thing at a time:

# %%
def refusal(call) -> str:
    try:
        call()
    except ValueError as exc:
        return str(exc)
    return "accepted"

# %%
# NBVAL_CHECK_OUTPUT
x01 = adapters.as_batch(x_test_np)
tries = {
    "uint8 numpy images": lambda: fgsm(net, x_test_np, eps=P.eps),
    "int32 labels": lambda: fgsm(net, x01, torch.from_numpy(y_test_np), eps=P.eps),
    "a model that returns a tuple": lambda: fgsm(net, x01, adapters.as_labels(y_test_np), eps=P.eps),
    "normalised images": lambda: fgsm(adapters.LogitsOf(net, 0), (x01 - MEAN) / STD, eps=P.eps),
}
for what, call in tries.items():
    print(f"{what}:\n    {refusal(call)}")

# %% [markdown]
# One mismatch no check can catch: a model trained on normalised inputs that is handed images in
# [0, 1] still returns logits, only wrong ones. So measure the clean accuracy of the wrapped model
# first; it must be the accuracy the model has in its own convention. `Normalized` puts the
# normalisation inside the model, and `LogitsOf(net, 0)` takes the first element of its output:
#
# ```{literalinclude} /lib/facerobust/models/adapters.py
# :pyobject: Normalized.forward
# ```

# %%
# NBVAL_CHECK_OUTPUT
x = adapters.as_batch(x_test_np)  # (N, 1, 28, 28) float32 in [0, 1]
y = adapters.as_labels(y_test_np)  # (N,) int64
model = adapters.Normalized(adapters.LogitsOf(net, 0), MEAN, STD)
with torch.no_grad():
    acc_own = float((net((x - MEAN) / STD)[0].argmax(1) == y).float().mean())
    acc_raw = float((adapters.LogitsOf(net, 0)(x).argmax(1) == y).float().mean())
    acc = float((model(x).argmax(1) == y).float().mean())
glue("acc_clean", 100 * acc, display=False)
glue("acc_raw", 100 * acc_raw, display=False)
pd.DataFrame({"clean accuracy": [acc_own, acc_raw, acc]},
             index=["your model, its own convention", "LogitsOf(net, 0), [0, 1] images straight in",
                    "Normalized(LogitsOf(net, 0), MEAN, STD)"])

# %% [markdown]
# The wrapped model agrees with the model in its own convention ({glue:text}`acc_clean:.1f` % on the
# test digits). Fed [0, 1] images without the normalisation, this model still scores
# {glue:text}`acc_raw:.1f` % (a ReLU network is nearly indifferent to rescaling its input; many models
# are not), but the attack would then differentiate a different function from the one you deploy.
#
# ## Attack, and read the result
#
# Every attack returns an `AttackResult` (`facerobust.attacks.base.AttackResult`):
#
# - `success` (N,) bool: the attack changed the model's decision, decided by re-classifying the
#   returned image (untargeted: the prediction differs from `y`; targeted: it equals the target);
# - `x_adv`: the adversarial image **where `success`, and the original image where not**. Other
#   libraries (torchattacks, foolbox's raw output) return the perturbed image everywhere; here a
#   failed sample is never passed off as an adversarial one;
# - `info["x_last"]`: what the attack produced for every sample, failed ones included (the image to
#   send on to another model in a transfer attack); other per-sample tensors each attack documents;
# - `rate`, the share of successes, and `perturbation_norms(x, p)`, the per-sample distance.

# %%
# NBVAL_CHECK_OUTPUT
res = fgsm(model, x, y, eps=P.eps)
with torch.no_grad():
    pred_clean, pred_adv = model(x).argmax(1), model(res.x_adv).argmax(1)
acc_attacked = float((pred_adv == y).float().mean())
glue("eps", P.eps, display=False)
glue("acc_attacked", 100 * acc_attacked, display=False)
glue("attack_rate", 100 * res.rate, display=False)
print(f"eps = {P.eps}: accuracy {100 * acc:.1f} % clean, {100 * acc_attacked:.1f} % under attack; "
      f"success rate {100 * res.rate:.1f} %")

# %% [markdown]
# With the true labels as `y`, a success is a test digit the model gets wrong after the attack, so the
# accuracy under attack ({glue:text}`acc_attacked:.1f` % at `eps` = {glue:text}`eps`) is one minus
# the success rate ({glue:text}`attack_rate:.1f` %). Digits the model already got wrong count as
# successes. Four successes and four failures side by side:

# %%
idx = torch.cat([torch.nonzero(res.success)[:4, 0], torch.nonzero(~res.success)[:4, 0]])
step = (res.info["x_last"] - x).flatten(1).abs().amax(1)
moved = (res.x_adv - x).flatten(1).abs().amax(1)
pd.DataFrame({"label": y[idx], "clean": pred_clean[idx], "attacked": pred_adv[idx],
              "success": res.success[idx], "max |x_adv - x|": moved[idx],
              "max |x_last - x|": step[idx]}).rename_axis("test digit")

# %% [markdown]
# For the failures `x_adv` is the original digit (distance 0) while `x_last` carries the full step of
# size `eps`; the check below holds for every sample, not only these eight.

# %%
# NBVAL_CHECK_OUTPUT
print("failed samples: x_adv is x:", torch.equal(res.x_adv[~res.success], x[~res.success]))
print("successful samples: x_adv is x_last:",
      torch.equal(res.x_adv[res.success], res.info["x_last"][res.success]))

# %% mystnb={"figure": {"caption": "A success (top) and a failure (bottom): the digit, what the attack returns as x_adv, and info[\"x_last\"], the image it produced. For the failure x_adv is the original.", "name": "fig-own-result"}}
fig, axes = plt.subplots(2, 3, figsize=(5.4, 3.8))
for row, i in enumerate([idx[0], idx[-1]]):
    for col, (img, name) in enumerate([(x, "x"), (res.x_adv, "x_adv"), (res.info["x_last"], "x_last")]):
        axes[row, col].imshow(img[i, 0], vmin=0, vmax=1)
        axes[row, col].set_title(f"{name}: predicted {int(model(img[i:i + 1]).argmax())}", fontsize=9)
        axes[row, col].axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Back to your format
#
# To save the adversarial images as your data was, undo `as_batch`: scale to 0-255, round, go back to
# channels last. Rounding moves each pixel by at most half a grey level, which can undo an attack that
# sits right at the decision boundary, so re-classify after converting:

# %%
x_adv_u8 = (res.x_adv * 255).round().byte().permute(0, 2, 3, 1).numpy()  # uint8 (N, H, W, C)
with torch.no_grad():
    still = model(adapters.as_batch(x_adv_u8)).argmax(1) != y
kept, n_succ = int((still & res.success).sum()), int(res.success.sum())
glue("n_kept", kept, display=False)
glue("n_success", n_succ, display=False)
print(f"{kept} of {n_succ} adversarial digits are still adversarial as uint8")

# %% [markdown]
# {glue:text}`n_kept` of the {glue:text}`n_success` adversarial digits stay adversarial after the
# round trip to uint8.
#
# One attack gives an upper bound on the accuracy under attack. For the accuracy under a set of
# attacks, the per-example worst case (a digit counts as robust only if every attack fails on it),
# hand the same wrapped `model`, `x` and `y` to `facerobust.attacks.worst_case.robust_accuracy`
# (see the {doc}`../api`).
#
# ## Exercises
#
# ```{exercise-start}
# :label: ex-own-eps
# ```
#
# Change the budget: attack with `eps` = 0.05 and 0.2 as well (in a cell, or for the whole page
# `-p eps 0.2` with the runner). How does the accuracy under attack change with `eps`?
#
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-own-eps
# :class: dropdown
# ```

# %%
for e in (0.05, P.eps, 0.2):
    print(f"eps = {e}: accuracy under attack {100 * (1 - fgsm(model, x, y, eps=e).rate):.1f} %")

# %% [markdown]
# The accuracy falls as `eps` grows: each FGSM step moves every pixel by `eps`, so a larger budget
# crosses the decision boundary of more digits.
#
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-own-dict
# ```
#
# A colleague's model, `TheirNet` below, takes images scaled to [-1, 1] and returns a dict. Wrap it so
# that FGSM accepts it, and check your wrapper: its clean accuracy must equal `acc`.

# %%
class TheirNet(nn.Module):
    """Takes images in [-1, 1]; returns {"logits": ..., "embedding": ...}."""

    def forward(self, t: torch.Tensor) -> dict[str, torch.Tensor]:
        logits, f = net(((t + 1) / 2 - MEAN) / STD)
        return {"logits": logits, "embedding": f}

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-own-dict
# :class: dropdown
# ```
#
# [-1, 1] is `(x - 0.5) / 0.5` of an image in [0, 1], and the logits sit under the key `"logits"`:

# %%
# NBVAL_CHECK_OUTPUT
theirs = adapters.Normalized(adapters.LogitsOf(TheirNet(), "logits"), 0.5, 0.5)
with torch.no_grad():
    print("clean accuracy equals acc:", float((theirs(x).argmax(1) == y).float().mean()) == acc)
print(f"FGSM success rate: {100 * fgsm(theirs, x, y, eps=P.eps).rate:.1f} %")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise-start}
# :label: ex-own-deepfool
# ```
#
# Change the attack: DeepFool {cite}`moosavi2016deepfool` (`facerobust.attacks.deepfool.deepfool`) has
# no budget; it steps towards the nearest linearised decision boundary until the decision changes. Run
# it on the first `P.n_deepfool` test digits. What share does it turn, how large are its
# perturbations in the L-inf norm FGSM's `eps` bounds, and what does that say about comparing the
# success rates of the two attacks?
#
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-own-deepfool
# :class: dropdown
# ```

# %%
n, inf = P.n_deepfool, float("inf")
df, fg = deepfool(model, x[:n], y[:n]), fgsm(model, x[:n], y[:n], eps=P.eps)
linf = df.perturbation_norms(x[:n], p=inf)[df.success]
glue("df_rate", 100 * df.rate, display=False)
glue("fg_rate", 100 * fg.rate, display=False)
glue("df_linf", float(linf.median()), display=False)
glue("df_within", 100 * float((linf <= P.eps + 1e-6).float().mean()), display=False)
print(f"DeepFool turns {100 * df.rate:.0f} %, median L-inf {float(linf.median()):.2f}, "
      f"{100 * float((linf <= P.eps + 1e-6).float().mean()):.0f} % within eps; FGSM turns {100 * fg.rate:.0f} %")

# %% [markdown]
# DeepFool turns {glue:text}`df_rate:.0f` % of the digits, FGSM {glue:text}`fg_rate:.0f` %; but
# DeepFool's median L-inf change is {glue:text}`df_linf:.2f`, and only {glue:text}`df_within:.0f` % of
# its perturbations fit in FGSM's budget. An attack without a budget succeeds by going as far as it
# needs to, so success rates compare attacks only at one budget: the book states the budget with
# every accuracy under attack.
#
# ```{solution-end}
# ```
