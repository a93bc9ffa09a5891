# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 0. Set-up, data and models
#
# This chapter shows the real data and pretrained face models the book uses, and checks that
# the installation is complete.

# %% tags=["parameters"]
profile = "default"
overrides = {}

# %%
import facerobust as fr
from facerobust import params, session

print(fr.check_version("0.1.0"))
P = params.load("00_setup_and_data", profile, overrides)
gen = session.start(P.seed)
P

# %%
import pandas as pd
from facerobust.data import assets

pd.DataFrame(assets.table())
