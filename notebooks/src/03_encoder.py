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
# # 3. Encoder: from the input to a latent representation
#
# The **encoder** is the first half of an autoencoder. It maps each input row to a shorter
# vector, the **latent representation** (or *code*). Its last layer, the **bottleneck**, decides
# how much the network may keep: too wide, and the network can simply copy its input, anomalies
# included; too narrow, and it cannot even reconstruct normal rows.

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
from helpers import architectures, datasets
from helpers.session import load_split
from helpers.session import begin

cfg, state = begin("03_encoder", dataset=dataset, seed=seed, epochs=epochs, quick=quick,
                   models=models, threshold=threshold, threads=threads, seeds=seeds, run_dir=run_dir,
                   options=options)

# %%
# NBVAL_CHECK_OUTPUT
split = load_split(state)
input_dim = split.X_train.shape[1]
print(f"{len(split.X_train):,} normal training inputs of {input_dim} values each")

# %% [markdown]
# ## The architectures of this run
#
# Each architecture is an entry in `helpers/architectures.py`: the encoder's layer widths (the
# last is the latent size), the decoder's, the activations and the loss.

# %%
# NBVAL_CHECK_OUTPUT
archs = {name: architectures.get(name).sized(input_dim) for name in cfg.models}
pd.DataFrame([{"model": name, "encoder": a.encoder_units, "latent": a.latent_dim,
               "hidden activation": a.activation, "output": a.output_activation, "loss": a.loss,
               "about": a.description} for name, a in archs.items()]).set_index("model")

# %%
datasets.notes(cfg.dataset, "03_encoder", cfg.options, split=split)

# %% [markdown]
# ## Building the encoders
#
# Each encoder is a small Keras model of its own: `Input → Dense (or Conv2D) … → latent`. Building it
# separately lets us look at the latent representation later, and the decoder (next notebook)
# attaches to its output.

# %%
# NBVAL_CHECK_OUTPUT
encoders = {name: architectures.build_encoder(a, input_dim) for name, a in archs.items()}
for name, enc in encoders.items():
    print(f"{name:<12} {enc.count_params():>6,} parameters, latent size {enc.output_shape[-1]}")

# %%
focus = datasets.focus(cfg.dataset, encoders)
print(f"{focus} encoder")
architectures.summary_table(encoders[focus])

# %% [markdown]
# ## What an untrained encoder produces
#
# Before training the weights are random, so the codes mean nothing yet. Still, it is worth
# checking the shapes: five rows in, five latent vectors out.

# %%
codes = encoders[focus].predict(split.X_train[:5], verbose=0)
print("input:", split.X_train[:5].shape, "-> latent:", codes.shape)
pd.DataFrame(codes[:, :8]).round(2).add_prefix("z")

# %%
state.save_models("encoders", encoders)

# %% [markdown]
# ## Exercise 3.1: Build an encoder (2 points)
#
# Write `build_encoder(input_dim, latent_dim)`: it returns a `keras.Model` that starts from
# `keras.Input((input_dim,))`, passes through at least one hidden `Dense` layer and ends in a
# `Dense` layer of `latent_dim` units, the latent representation. Keep every layer at most as
# wide as the input (an encoder narrows the data); the activations are yours to choose. The
# check below calls it with this run's input size and `latent_dim = input_dim // 4` (at least
# 2); the grading also tries other sizes.

# %% nbgrader={"grade": false, "grade_id": "ex3_1_encoder", "locked": false, "schema_version": 3, "solution": true}
import keras


def build_encoder(input_dim, latent_dim):
    """A Keras model from rows of `input_dim` values to latent vectors of `latent_dim`."""
    ### BEGIN SOLUTION
    inputs = keras.Input((input_dim,), name="input")
    hidden = keras.layers.Dense((input_dim + latent_dim) // 2, activation="relu", name="hidden")(inputs)
    latent = keras.layers.Dense(latent_dim, name="latent")(hidden)
    return keras.Model(inputs, latent, name="my_encoder")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex3_1_encoder_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks for exercise 3.1 (2 points). Run this cell; do not edit it.
from helpers import exercises

exercises.check_encoder(build_encoder, split, latent_dim=max(2, input_dim // 4))
exercises.passed("3.1")
### BEGIN HIDDEN TESTS
from helpers import hidden_checks

hidden_checks.check_encoder_cases(build_encoder)
exercises.passed("3.1", hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Next: **04 decoder**.
