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
# # 8. Tuning (optional): a grid search, and what to optimise
#
# Seed 003 searched a grid of **learning rate, weight decay, epochs and batch size** for each of
# its models. The usual way to tune an autoencoder is to pick the setting with the **lowest
# reconstruction error**. But we do not want the best *reconstructor*; we want the best
# *detector*: low error on normal rows and high error on anomalies. Seed 003 therefore ranked its
# settings by the **gap** between the two; the kit also ranks them by **validation ROC-AUC**.
#
# Everything here uses the training and validation sets only; the test set stays untouched.

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
from helpers import datasets, plots, tuning
from helpers.session import load_split
from helpers.session import begin

cfg, state = begin("08_tuning", dataset=dataset, seed=seed, epochs=epochs, quick=quick,
                   models=models, threshold=threshold, threads=threads, seeds=seeds, run_dir=run_dir,
                   options=options)

# %%
# NBVAL_CHECK_OUTPUT
split = load_split(state)
spec = datasets.spec(cfg.dataset)
combos = tuning.combinations(spec.tuning_grid, quick=cfg.quick)
tuned = tuning.models_for(spec.tuning_models, quick=cfg.quick)
print(f"{len(tuned)} models x {len(combos)} settings = {len(tuned) * len(combos)} trainings, "
      f"on {min(len(split.X_train), spec.tuning_rows or len(split.X_train)):,} training rows")
pd.DataFrame(combos)

# %%
results = tuning.run(spec.tuning_models, spec.tuning_grid, split, seed=cfg.seed, quick=cfg.quick,
                     max_rows=spec.tuning_rows, jobs=cfg.jobs, threads=cfg.threads)
state.save_json("tuning", results.to_dict(orient="records"))
results.assign(dataset=cfg.dataset).to_csv(cfg.run_dir / "tuning.csv", index=False)
print(f"{len(results)} trainings in {results['seconds'].sum():.0f}s")

# %% [markdown]
# ## Three rankings of the same results
#
# The last column, *within noise of best*, marks the settings whose validation ROC-AUC is not
# measurably below the best one's: the 95% interval of the gap, over bootstrap draws of the
# validation rows, holds 0. Among those the grid cannot tell which is best, so a "winner" there is
# as much the validation sample's choice as the setting's.

# %%
shown = ["model", *tuning.setting_keys(results), "val MSE normal", "gap", "val ROC-AUC",
         tuning.NEAR_BEST]
for rule, table in tuning.rankings(results).items():
    print(rule)
    display(table[shown].round(4).reset_index(drop=True))

# %% [markdown]
# ## The best reconstructor is not the best detector
#
# Each point is one setting: how well it reconstructs normal validation rows (left is better) and
# how well its error separates anomalies (up is better). If lower error always meant better
# detection, the points would rise from right to left in a clean line.

# %%
plots.tuning_scatter(results);

# %%
print(tuning.verdict(results))
tuning.lowest_mse_vs_best(results).round(4)

# %% [markdown]
# To use a setting found here, change the learning rate or epochs in `helpers/training.py` or the
# architecture in `helpers/architectures.py`, and run notebooks 01 to 07 again: the choice was
# made on validation data, so the test figures stay honest.
