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
# # 1. Import: the tools, and a run you can repeat
#
# This kit teaches **anomaly detection with autoencoders** in eight steps, one notebook each (the eighth is optional):
#
# | notebook | step |
# |---|---|
# | **01 import** | libraries, versions, seed, determinism, where the run writes |
# | 02 load | the dataset, its class balance, an honest split, scaling |
# | 03 encoder | input → latent representation |
# | 04 decoder | latent → reconstruction; the assembled autoencoder |
# | 05 compile | optimizer, loss, metrics; training with early stopping |
# | 06 threshold | reconstruction error on validation data; choosing a threshold |
# | 07 report | test-set figures for the anomaly class, baselines, pitfalls |
# | 08 tuning | a grid search on validation data; the best reconstructor is not the best detector |
#
# **The idea in one paragraph.** An *autoencoder* is a neural network trained to reproduce its
# input through a narrow middle layer, the *bottleneck*. To squeeze a row through it, the network
# must learn what typical rows have in common. Train it on **normal data only**, and it
# reconstructs normal rows well and unusual rows badly. The *reconstruction error* then becomes an
# **anomaly score**: the higher it is, the less the row looks like anything seen in training.
#
# The notebooks share their results through a *run folder*: each one reads what the previous one
# saved. Run them in order. The code cells are short; the logic lives in the `helpers` package
# next to this folder, where each module has one job and its own tests.

# %% [markdown]
# ## Parameters
#
# The next cell holds the run's settings. When an instructor runs `make run-all`, papermill
# replaces these values (for example, `dataset`); when you run the notebook by hand, change them
# here. Every notebook has the same cell, and the settings must agree across a run.

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

# %% [markdown]
# The first code cell checks every parameter before anything else happens, then starts a fresh
# run: it empties this dataset's run folder and records the settings there.

# %%
import pandas as pd
from helpers import architectures, datasets, params, paths, reproducibility, thresholds
from helpers.session import begin

cfg, state = begin("01_import", dataset=dataset, seed=seed, epochs=epochs, quick=quick,
                   models=models, threshold=threshold, threads=threads, seeds=seeds, run_dir=run_dir,
                   options=options, keras=False)

# %% [markdown]
# A wrong value stops here, with a message that names it and lists the valid ones. For example:

# %%
# NBVAL_CHECK_OUTPUT
try:
    params.configure(dataset="mnits")
except params.ParameterError as err:
    print("ParameterError:", err)
try:
    params.configure(epochs=0)
except params.ParameterError as err:
    print("ParameterError:", err)

# %% [markdown]
# ## Libraries
#
# NumPy and pandas hold the data, scikit-learn provides the data generator, the splits, the
# scalers, the classical baselines and the metrics, Keras builds and trains the autoencoders,
# and matplotlib/seaborn draw the figures. The versions are pinned in `requirements.txt`, so
# every student runs the same code.
#
# Keras does its arithmetic on a **backend**: TensorFlow by default, or JAX (`make run-all
# BACKEND=jax`, faster per epoch on a CPU). Loading a backend takes a few seconds, so this
# notebook, which trains nothing, leaves Keras out: notebooks 03 onward load it when they build
# models. The table reads the installed versions without importing anything.

# %%
import numpy as np
import pandas as pd
import sklearn
import matplotlib.pyplot as plt
import seaborn as sns

print(f"Keras backend: {reproducibility.backend()}")
pd.Series(reproducibility.versions(), name="version").to_frame()

# %% [markdown]
# ## A run you can repeat
#
# Training a neural network involves randomness: the initial weights, the order of the batches,
# the validation rows that are held out. `begin(...)` at the top of every notebook fixes all of
# it (here, with no model to train, it seeds `random` and NumPy only):
#
# - `random`, NumPy and Keras's backend are seeded with `seed`;
# - TensorFlow's *op determinism* is on, so its operations give bit-identical results (JAX on a
#   CPU is deterministic as it is);
# - the backend uses a fixed number of CPU threads (`threads`), because the order in which
#   threads add up numbers changes the last digits of a float.
#
# One more thing changes those last digits: the **instruction set** of the CPU. TensorFlow's
# matrix products (oneDNN), JAX's compiler (XLA), NumPy, OpenBLAS and the C maths library each
# pick their code for the CPU they run on; a laptop with AVX-512 adds up a sum in another order
# than one without it, and training turns a difference in the 7th digit into a visibly different
# model. So this notebook's kernel started with all of them capped at one level, **AVX2** (every
# Intel Core CPU since 2013 and every AMD Zen has it; `helpers/cpu_level.py` sets it before the
# libraries load). The same seed then gives the same figures on the same CPU model every time,
# and mostly the same ones on other x86-64 machines with AVX2, but not always: the libraries
# also size their blocks of work by the CPU's caches. On one pair of CPUs tried, 40 of 52
# reference figures came out identical, most others moved in the third decimal, and one model
# that is sensitive to its training moved by 0.02 ROC-AUC. ARM and Apple machines, and CPUs
# without AVX2, give close but not identical figures.
# `make run-all EXACT=0` lifts the cap for speed, and marks the figures it makes.
#
# A different seed gives somewhat different figures; that spread is part of the result, not an
# error.

# %%
from helpers import cpu_level

print(cpu_level.describe())

# %%
pd.Series(cfg.describe(), name="value").to_frame()

# %% [markdown]
# ## What is available
#
# Datasets, autoencoder architectures, baselines and threshold methods are registries in
# `helpers`: adding one means one new entry there, and every notebook picks it up.
#
# Every **detector**, an autoencoder or a classical baseline, follows one contract, the one
# scikit-learn and PyOD use: `fit(split)` learns from the normal training rows, and
# `score_samples(split, part)` gives one anomaly score per row, image or point of a part
# (higher means more anomalous). Notebook 05 fits the autoencoders this way, and notebook 07
# scores every detector in one loop.

# %%
# NBVAL_CHECK_OUTPUT
spec = datasets.spec(cfg.dataset)
print("datasets:  ", ", ".join(datasets.names()))
print("models:    ", ", ".join(architectures.names(family=spec.family)))
print("baselines: ", ", ".join(spec.baselines))
print("thresholds:", ", ".join(thresholds.names()))
print("this run trains:", ", ".join(cfg.models))

# %% [markdown]
# Everything this run writes goes to the run folder printed above (under `build/`, which git
# ignores). Next: **02 load**.
