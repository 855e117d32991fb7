# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (anomaly kit)
#     language: python
#     name: anomaly-kit
# ---

# %% [markdown]
# # 2. Load: the data, its balance, and an honest split
#
# An anomaly detector is only as good as the way it is evaluated. This notebook loads the data,
# looks at it, and splits it so that **no anomaly is ever used for training** and **the test set
# is kept for the final report**.

# %% tags=["parameters"]
# Parameters: papermill replaces this cell's values when it runs the notebook.
dataset = "synthetic"   # see helpers.datasets.names()
seed = 42               # same seed, same metrics
epochs = "default"      # upper limit ("default": the dataset's); early stopping ends sooner
quick = False           # True: 2 epochs, a smoke test for CI, not a result
models = "default"      # the dataset's autoencoders, or a list such as ["kit_dense"]
threshold = "default"   # threshold method for the report ("default": the dataset's)
threads = 2             # CPU threads Keras's backend may use (fixed, for reproducibility)
seeds = "default"       # trainings of the kit's own autoencoder, to measure noise ("default": 3; quick: 1)
run_dir = None          # None: build/runs/<dataset>
options = {}            # dataset settings, e.g. {"test_digit": 4} for mnist

# %%
import pandas as pd
from helpers import datasets, pitfalls, plots, preprocessing
from helpers.session import save_split
from helpers.session import begin

cfg, state = begin("02_load", dataset=dataset, seed=seed, epochs=epochs, quick=quick,
                   models=models, threshold=threshold, threads=threads, seeds=seeds, run_dir=run_dir,
                   options=options, keras=False)

# %%
# NBVAL_CHECK_OUTPUT
spec = datasets.spec(cfg.dataset)
raw = datasets.load(cfg.dataset, seed=cfg.seed, quick=cfg.quick, options=cfg.options)
df = raw.frame()
print(datasets.title(cfg.dataset, cfg.options))
print("source:", raw.source)
print("shape:", df.shape)

# %% [markdown]
# ## About this dataset
#
# What the data is, where it comes from, and how it is split. The dataset's entry in
# `helpers/datasets/` writes this text from the options and the data this run loaded.

# %%
datasets.notes(cfg.dataset, "02_load", cfg.options, raw=raw)

# %%
datasets.describe(cfg.dataset, raw)

# %%
df.info(memory_usage=False, verbose=False)

# %% [markdown]
# ## Class balance
#
# Anomalies are rare by definition, and that is why **accuracy misleads**: a "detector" that calls
# every row normal scores exactly the share of normal rows, and finds nothing.

# %%
plots.class_balance(raw.y, "Class balance, all rows");

# %%
# NBVAL_CHECK_OUTPUT
counts = df["is_anomaly"].value_counts().sort_index()
print(counts.to_string())
print(f"accuracy of calling everything normal: {(raw.y == 0).mean():.4f}")

# %% [markdown]
# ## A first look
#
# Do anomalies look different? Sometimes plainly, often only in combinations of features that no
# single-feature rule can catch. That is a job for a model.

# %%
plots.overview(raw, spec.family);

# %% [markdown]
# ## An honest split
#
# Whatever the dataset, the rules are the same:
#
# 1. **Training set**: normal rows only. This is all the autoencoders see.
# 2. **Validation set**: held-out normal rows plus anomalies that no model trains on.
#    Thresholds and model choices are made here.
# 3. **Test set**: held back until notebook 07, then scored once.
#
# Seed 001 validated on its test set, so the test set helped shape the model and its threshold;
# here validation data never comes from the test set.

# %%
# NBVAL_CHECK_OUTPUT
split = datasets.split(cfg.dataset, raw, seed=cfg.seed, quick=cfg.quick, options=cfg.options)
split.counts()

# %%
pd.Series(split.info, name="").to_frame()

# %%
if "split moved" in split.info:  # a time series whose events did not fit the asked-for shares
    print("NOTE:", split.info["split moved"])

# %% [markdown]
# ## Scaling, fitted on the training rows only
#
# Neural networks train best on inputs of similar size. For numeric features of different
# spreads, a `StandardScaler` learns each feature's mean and standard deviation **from the normal
# training rows alone**, and applies those same numbers to validation and test rows. Fitting it on
# all the data would leak information from the test set into training. Pixels, already in [0, 1],
# need no scaler. Time series need none here either: the split has already scaled each series on
# its own normal training points (the `scaling` line of the table above), so the values below are
# the split's, not the raw readings.
#
# Note the range of the values the model must reproduce: an output layer must be able to produce
# them. Seed 001 put a *sigmoid* (outputs between 0 and 1) on data that does not lie between 0 and 1.

# %%
scaler = preprocessing.fit_scaler(split.X_train, spec.scaler)
scaled = preprocessing.scale_split(split, scaler)
print(f"scaler: {spec.scaler}; training values before this scaler: {split.X_train.min():.1f} "
      f"to {split.X_train.max():.1f}")
print(f"share of raw values a sigmoid can never output: {pitfalls.unreachable_share(split.X_train):.1%}")
preprocessing.scaling_table(split, scaled, raw.feature_names)

# %% [markdown]
# Whatever the scaling, the test rows were scaled with numbers learnt from the training rows
# alone, so they never match the training rows exactly. That gap is what honest preprocessing
# looks like, and it is what the model will face:

# %%
print(preprocessing.scaling_summary(spec.scaler, scaled))

# %%
save_split(state, split, scaler)
print("saved the split and the fitted scaler to the run folder")

# %% [markdown]
# Next: **03 encoder**.
