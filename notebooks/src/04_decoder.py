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
# # 4. Decoder: from the latent representation back to the input
#
# The **decoder** mirrors the encoder: it takes a latent vector and produces a row of the same
# shape as the input, the **reconstruction**. Chained together, encoder and decoder form the
# **autoencoder**, a model whose target is its own input.
#
# The decoder's **output layer** has one job: to be able to produce the values it must
# reconstruct. Standardised inputs (mean 0, spread 1, negative values included) need a *linear*
# output; pixels in [0, 1] suit a *sigmoid*. Seed 001 used a sigmoid on data that spans -10 to 10:
# most of its targets were out of reach (see notebook 05's pitfall).

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
from helpers import architectures, datasets, plots, scoring
from helpers.session import load_split
from helpers.session import begin

cfg, state = begin("04_decoder", dataset=dataset, seed=seed, epochs=epochs, quick=quick,
                   models=models, threshold=threshold, threads=threads, seeds=seeds, run_dir=run_dir,
                   options=options)

# %%
# NBVAL_CHECK_OUTPUT
split = load_split(state)
input_dim = split.X_train.shape[1]
encoders = state.load_models("encoders", cfg.models)
decoders = {name: architectures.build_decoder(architectures.get(name), input_dim) for name in cfg.models}
for name, dec in decoders.items():
    print(f"{name:<12} decoder: latent {dec.input_shape[-1]} -> output {dec.output_shape[-1]}, "
          f"{dec.count_params():,} parameters")

# %% [markdown]
# ## The assembled autoencoder
#
# `architectures.assemble` feeds the encoder's output into the decoder: `input → encoder → decoder →
# reconstruction`.

# %%
autoencoders = {name: architectures.assemble(encoders[name], decoders[name], name) for name in cfg.models}
focus = datasets.focus(cfg.dataset, autoencoders)
architectures.summary_table(autoencoders[focus])

# %% [markdown]
# ## What an untrained autoencoder outputs
#
# With random weights the reconstruction has nothing to do with the input, and its error is about
# as large for normal rows as for anomalies: an untrained model cannot tell them apart. Training
# (next notebook) changes that for normal rows only.

# %%
recon = autoencoders[focus].predict(split.X_val[:8], verbose=0)
plots.reconstructions(datasets.spec(cfg.dataset).family, split.X_val[:8], recon,
                      title=f"{focus}, untrained: input vs output");

# %%
from sklearn.metrics import roc_auc_score

rows = {}
for name, ae in autoencoders.items():
    err = scoring.errors(ae, split, "val")
    rows[name] = {"mean error, normal": err[split.y_val == 0].mean(),
                  "mean error, anomalies": err[split.y_val == 1].mean(),
                  "validation ROC-AUC": roc_auc_score(split.y_val, err)}
pd.DataFrame(rows).T.round(3)

# %%
state.save_models("untrained", autoencoders)

# %% [markdown]
# ## Exercise 4.1: Build a decoder (2 points)
#
# Write `build_decoder(latent_dim, output_dim, output_activation)`, the mirror image of exercise
# 3.1's encoder: a `keras.Model` from `keras.Input((latent_dim,))` through at least one hidden
# `Dense` layer (no wider than `output_dim`) to a `Dense` output layer of `output_dim` units whose
# activation is `output_activation` (a name such as `"linear"` or `"sigmoid"`). The check chains
# it after a small encoder and feeds it rows of this run's data: what comes out must have the
# shape of what went in.

# %% nbgrader={"grade": false, "grade_id": "ex4_1_decoder", "locked": false, "schema_version": 3, "solution": true}
import keras


def build_decoder(latent_dim, output_dim, output_activation):
    """A Keras model from latent vectors of `latent_dim` values to rows of `output_dim`."""
    ### BEGIN SOLUTION
    inputs = keras.Input((latent_dim,), name="latent_input")
    hidden = keras.layers.Dense((latent_dim + output_dim) // 2, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(output_dim, activation=output_activation, name="reconstruction")(hidden)
    return keras.Model(inputs, outputs, name="my_decoder")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex4_1_decoder_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks for exercise 4.1 (2 points). Run this cell; do not edit it.
from helpers import exercises

exercises.check_decoder(build_decoder, split, latent_dim=max(2, input_dim // 4))
exercises.passed("4.1")
### BEGIN HIDDEN TESTS
from helpers import hidden_checks

hidden_checks.check_decoder_cases(build_decoder)
exercises.passed("4.1", hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 4.2: Choose the output activation (1 point)
#
# Write `output_activation_for(X)`: given the training rows `X` (a 2-D array), it returns
# `"sigmoid"` when every value lies in [0, 1] (bounds included) and `"linear"` otherwise. A
# sigmoid can only produce values between 0 and 1, so on standardised data it cannot reach most
# targets: seed 001's mistake. The answer depends on the dataset: pixels and the series scaled to
# [0, 1] get a sigmoid, standardised tables a linear output.

# %% nbgrader={"grade": false, "grade_id": "ex4_2_output_activation", "locked": false, "schema_version": 3, "solution": true}
import numpy as np


def output_activation_for(X):
    """The output activation for data like `X`: "sigmoid" or "linear"."""
    ### BEGIN SOLUTION
    X = np.asarray(X)
    return "sigmoid" if X.min() >= 0 and X.max() <= 1 else "linear"
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex4_2_output_activation_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks for exercise 4.2 (1 point). Run this cell; do not edit it.
from helpers import exercises

exercises.check_output_activation(output_activation_for, split.X_train)
exercises.passed("4.2")
### BEGIN HIDDEN TESTS
from helpers import hidden_checks

hidden_checks.check_output_activation_cases(output_activation_for)
exercises.passed("4.2", hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Next: **05 compile**, where the autoencoders learn.
