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
# # 5. Compile and train
#
# **Compiling** a Keras model fixes three things:
#
# - the **optimizer**, which updates the weights: Adam, learning rate 0.001;
# - the **loss**, what training minimises: the *mean squared error* between input and
#   reconstruction (the reconstruction loss);
# - the **metrics**, reported alongside: the mean absolute error.
#
# **Training** shows the model normal rows only, as inputs *and* targets. It stops early when
# the loss on *held-out normal rows* (from the validation set) has not improved for 10 epochs,
# and keeps the best weights. No anomaly influences training, and the test set is not touched.
# Each model is seeded with the run's seed just before it trains, so its result does not depend
# on which other models train in the same run.
#
# Two speed notes for laptops. By default Keras runs one Python step per batch, and for small
# models that overhead dominates: `steps_per_execution=32` runs 32 batches per step with the same
# maths, more than twice as fast on a CPU. And a short training of a small model is mostly
# TensorFlow *tracing* its training step (on JAX, XLA *compiling* it), which uses one core; so the
# models train `threads` at a time, in separate processes.

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
from helpers import datasets, detectors, pitfalls, plots, seed_runs
from helpers.session import load_split
from helpers.session import begin

cfg, state = begin("05_compile", dataset=dataset, seed=seed, epochs=epochs, quick=quick,
                   models=models, threshold=threshold, threads=threads, seeds=seeds, run_dir=run_dir,
                   options=options)

# %%
# NBVAL_CHECK_OUTPUT
split = load_split(state)
batch_size = datasets.spec(cfg.dataset).batch_size
print(f"training on {len(split.X_train):,} normal rows; early stopping watches "
      f"{len(split.X_val_normal):,} held-out normal rows; up to {cfg.epochs} epochs of batch {batch_size}")

# %%
untrained = {name: detectors.build(name, model=state.load_model("untrained", name), seed=cfg.seed,
                                   threads=cfg.threads, epochs=cfg.epochs, batch_size=batch_size)
             for name in cfg.models}
fitted = detectors.fit_all(untrained, split, jobs=cfg.jobs)
for det in fitted.values():
    det.save(state)
pd.DataFrame([{"model": name, "epochs run": d.epochs_run_, "best epoch": d.best_epoch_,
               "best validation loss": round(min(d.history_["val_loss"]), 4),
               "seconds": round(d.fit_seconds_, 1)} for name, d in fitted.items()]).set_index("model")

# %% [markdown]
# ## The same model, other seeds
#
# How much of a result is the seed's doing? Three autoencoders train again with each of the run's
# other seeds (`seeds` in the parameters: 3 by default, so two more; none in quick mode), on the
# same rows with the same settings: the dataset's own (or, if the run leaves it out, the run's first
# model), and the two with the highest validation PR-AUC, which notebook 07 compares (often the
# dataset's own is one of them). Notebook 07 reports how far their figures spread.

# %%
val_pr_auc = seed_runs.validation_pr_auc(fitted, split)
again = seed_runs.train(state, split, cfg, batch_size,
                        seed_runs.compared(datasets.focus(cfg.dataset, cfg.models), val_pr_auc))
print("\n".join(f"{name}: trained with seeds {', '.join(str(s) for s in [cfg.seed, *seeds])}"
                for name, seeds in again.items()) if again else
      "one seed in this run: no other trainings")

# %% [markdown]
# ## Loss curves
#
# Training loss (on the rows the model learns from) and validation loss (on held-out normal rows)
# should fall together. If validation loss rises while training loss keeps falling, the model is
# memorising its training rows; early stopping catches that.

# %%
plots.loss_curves({name: d.history_ for name, d in fitted.items()});

# %%
datasets.notes(cfg.dataset, "05_compile", cfg.options, split=split)

# %% [markdown]
# ## Pitfall: the seed's own recipe
#
# Where a seed document gave a training recipe that goes wrong, we train it once, exactly as
# written, so that notebook 07 can show what it really scores:
#
# - **seed 001** (synthetic) trained its deep autoencoder with a **sigmoid output on unscaled
#   data**, an MAE loss, and `validation_data=(X_test, X_test)`: it *validated on the test set*,
#   anomalies included. Its loss barely moves, because most targets lie outside what a sigmoid
#   can produce.
# - **seed 002** (NAB) put a **ReLU on its single output unit** and trained on raw temperatures.
#   If that unit starts out dead (output 0 for every input), its gradient is 0 and the loss stays
#   flat: the "model" then outputs 0, and its error is just the squared value.

# %%
raw_split = load_split(state, scaled=False)
recipe = pitfalls.train_recipe(cfg.dataset, raw_split, epochs=min(cfg.epochs, 20))
if recipe is not None:
    state.save_model("trained", recipe.model, key=pitfalls.SEED_RECIPE)
    state.save_json("recipe", recipe.facts)
    print("\n".join(recipe.lines))
    plots.loss_curves({recipe.title: recipe.fit.history});

# %% [markdown]
# ## Exercise 5.1: Compile and train (3 points)
#
# Write `compile_and_train(model, split, epochs)`. It compiles `model` with the Adam optimizer
# (learning rate 0.001), the mean squared error as the loss and the mean absolute error as a
# metric; trains it for `epochs` epochs on `split.X_train` only, the same rows as inputs *and*
# targets, with `validation_data=(split.X_val_normal, split.X_val_normal)`, the held-out normal
# rows (for a time series, the validation windows without an anomalous point); and returns what
# `model.fit` returns, the Keras `History`. The check trains a tiny fresh autoencoder for 3
# epochs on a 2,000-row sample of this run's split; the grading also makes sure that no
# anomalous row and no test row went into training or validation.

# %% nbgrader={"grade": false, "grade_id": "ex5_1_compile_and_train", "locked": false, "schema_version": 3, "solution": true}
import keras


def compile_and_train(model, split, epochs):
    """Compile `model` (Adam, MSE loss, MAE metric), train it to reproduce the normal training
    rows, validate on the held-out normal rows, and return the History."""
    ### BEGIN SOLUTION
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse", metrics=["mae"])
    return model.fit(split.X_train, split.X_train, epochs=epochs, batch_size=64, shuffle=True,
                     validation_data=(split.X_val_normal, split.X_val_normal), verbose=0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex5_1_compile_and_train_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Checks for exercise 5.1 (3 points). Run this cell; do not edit it.
from helpers import exercises

exercises.check_compile_and_train(compile_and_train, split, seed=cfg.seed)
exercises.passed("5.1")
### BEGIN HIDDEN TESTS
from helpers import hidden_checks

hidden_checks.check_compile_and_train_data(compile_and_train, split, seed=cfg.seed)
exercises.passed("5.1", hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Next: **06 threshold**.
