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
# # 6. Threshold: from a score to a decision
#
# The trained autoencoder gives every row an **anomaly score**, its reconstruction error (the
# mean squared difference between a row and its reconstruction). To *flag* rows we need a
# **threshold**: rows scoring at or above it are called anomalies.
#
# Where to put it is a trade-off. Lower, and more anomalies are caught (**recall** rises) but
# more normal rows are flagged too (**precision** falls). The threshold is a modelling choice, so
# it must be made **without the test set**: on the training rows' scores and on the validation
# set.

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
import numpy as np
from helpers import datasets, detectors, plots, scoring, thresholds
from helpers.session import load_split
from helpers.session import begin

cfg, state = begin("06_threshold", dataset=dataset, seed=seed, epochs=epochs, quick=quick,
                   models=models, threshold=threshold, threads=threads, seeds=seeds, run_dir=run_dir,
                   options=options)

# %%
split = load_split(state)
trained = detectors.load_trained(state, cfg.models)
scores = {name: {part: det.score_samples(split, part) for part in ("train", "val")}
          for name, det in trained.items()}
pd.DataFrame({name: {"train (normal)": s["train"].mean(),
                     "validation normal": s["val"][split.y_val == 0].mean(),
                     "validation anomalies": s["val"][split.y_val == 1].mean()}
              for name, s in scores.items()}).T.round(3)

# %% [markdown]
# Where training worked, anomalies have a higher error on average than normal rows: that gap is
# what the detector uses. A model whose validation anomalies score no higher than its normal
# rows has learnt nothing that separates them, and no threshold will rescue it. Averages hide
# the overlap, though; the histograms below show it.
#
# ## From an error per value to one score
#
# An autoencoder gives an error for every value it reconstructs; a threshold needs one number.
# For a table row the score is the mean over its features. For a time series every point gets the
# mean of the errors that the windows covering it make at that point. For an image the mean over
# all pixels dilutes an anomaly, which is usually *local* (a 4 is a 9 with its top left open),
# with the slight blur every reconstruction has everywhere; so the score is the mean error of the
# image's **worst patch**, a square of a few pixels.
#
# How to form the score is a modelling choice like any other, so it is made on validation data.
# The table gives each model's validation ROC-AUC under every way this dataset could form its
# score; the first column is the one in use (the `patch` option for images). Tables and series
# have only one.

# %%
scoring.compare_scores(trained, split, "val").round(3)

# %% [markdown]
# A **variational autoencoder** offers one more score: the *negative ELBO*, the objective it was
# trained on, for one row. It adds to the reconstruction error how far the distribution of the
# row's code lies from the prior N(0, 1) (the KL term). The table compares both on validation
# data for the run's VAEs; the report keeps the reconstruction error, the one score every
# autoencoder has.

# %%
elbo = scoring.elbo_table(trained, split, "val")
elbo.round(3) if len(elbo) else print("No variational autoencoder in this run: nothing to compare.")

# %% [markdown]
# ## Ways to set a threshold
#
# Each method is an entry in `helpers/thresholds.py`; this table comes from there.

# %%
thresholds.overview()

# %% [markdown]
# **Why the validation curve is weighted.** The validation set may hold more anomalies than the
# data the detector will meet (the lines below give both shares for this run). Precision depends
# on that share, so a threshold tuned at the validation share would be tuned for the wrong world.
# The curve-based methods give each validation anomaly a weight so that anomalies count for
# exactly the expected share: the labelled training part's for tables, the protocol's for
# images, and for a time series, whose validation part is a plain slice of time, its own. This
# uses no test label (`thresholds.prevalence_weights`).

# %%
# NBVAL_CHECK_OUTPUT
w = thresholds.prevalence_weights(split.y_val, split.train_anomaly_share)
print(f"validation: {int((split.y_val == 0).sum()):,} normal rows, {int(split.y_val.sum()):,} anomalies "
      f"({split.y_val.mean():.2%})")
print(f"expected anomaly share, the prior the thresholds assume: {split.train_anomaly_share:.2%}")
print(f"weight of each validation anomaly: {w[split.y_val == 1][0]:.3f} "
      f"(weighted share {w[split.y_val == 1].sum() / w.sum():.2%})")
print(f"threshold method the report applies: {cfg.threshold!r}")

# %%
inputs = {name: thresholds.ThresholdInputs(s["train"], s["val"], split.y_val, split.train_anomaly_share)
          for name, s in scores.items()}
table = pd.DataFrame({name: thresholds.compute(inp) for name, inp in inputs.items()}).T
table.round(4)

# %% [markdown]
# ## How each threshold does on the validation set
#
# Precision here is computed with the same prevalence weights, so it estimates the precision the
# detector would have on data with the training part's share of anomalies.

# %%
val_f1 = {name: {method: thresholds.validation_figures(inp, thr)["f1"]
                 for method, thr in table.loc[name].items()}
          for name, inp in inputs.items()}
pd.DataFrame(val_f1).round(3)

# %% [markdown]
# Each rule aims at something different. `max_train` and `mean_3std` read only the normal
# training scores and flag what lies beyond them, however many or few that is; `percentile_98`
# flags 2% of the validation rows whatever the data; `contamination` flags the expected share;
# the curve-based rules use the validation labels. A high F1 above does not prove a rule works:
# where anomalies fill a large share of the validation set, flagging *every* row already has a
# fair F1. So the next table shows, for the run's method, how much each detector's threshold
# flags on validation, as a multiple of the expected anomaly share, and its F1 next to the best
# F1 any threshold reaches and the F1 of flagging everything. A detector none of whose
# thresholds beats flagging everything has learnt nothing that a threshold can use.

# %%
fit = thresholds.health(inputs, cfg.threshold)
print(thresholds.verdict(fit))

# %%
fit.style.format({"flagged share": "{:.1%}", "x anomaly share": "{:.1f}", "F1": "{:.3f}",
                  "best F1": "{:.3f}", "F1 of flagging all": "{:.3f}"})

# %% [markdown]
# **The alarm budget.** `best_f1_budget`, the default for time series, takes the best validation
# F1 among thresholds that flag at most half the expected anomaly share. Labelled windows in time
# series are wide (NAB's surround each event generously, and most of their points look normal),
# so plain `best_f1` often drifts towards flagging nearly everything; a budget keeps the alarms
# selective, and one alarm inside an event is enough to find it (event recall, in 07). Its price
# is stated plainly: it never flags more than half of the anomalous points, so its point recall
# is at most 0.5.
#
# ## The histogram
#
# Errors of normal rows (blue) and anomalies (red) on the validation set, log scale, with every
# threshold.

# %%
focus = datasets.focus(cfg.dataset, scores)
plots.score_histogram(scores[focus]["val"], split.y_val, table.loc[focus].to_dict(),
                      title=f"{focus}: validation reconstruction error");

# %%
p, r, t = thresholds.validation_pr_curve(inputs[focus])
on_curve = {}
for method in dict.fromkeys(("best_f1", "closest_to_corner", "high_recall", "percentile_98", cfg.threshold)):
    i = min(np.searchsorted(t, table.loc[focus, method]), len(t) - 1)
    on_curve[method] = (r[i], p[i])
plots.pr_with_thresholds(p, r, on_curve);

# %% [markdown]
# ## Exercise 6.1: Choose a threshold (2 points)
#
# Write `choose_threshold(train_scores, val_scores, y_val)`: it returns one number, the threshold
# with the highest anomaly-class F1 on the validation set, where a row is flagged when its score
# is at or above the threshold. Its arguments are a detector's scores of the normal training
# rows, its validation scores and the validation labels (1 = anomaly): one per row, or for a
# time series one per point. Use nothing else, the test set least of all: the check hides it
# while your function runs. (Unlike the kit's `best_f1` you need not weight the anomalies.)

# %% nbgrader={"grade": false, "grade_id": "ex6_1_threshold", "locked": false, "schema_version": 3, "solution": true}
import numpy as np


def choose_threshold(train_scores, val_scores, y_val):
    """The threshold with the highest anomaly-class F1 on the validation scores."""
    ### BEGIN SOLUTION
    from sklearn.metrics import precision_recall_curve

    precision, recall, candidates = precision_recall_curve(y_val, val_scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(candidates[np.argmax(f1[:-1])])  # the last point (recall 0) has no threshold
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex6_1_threshold_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks for exercise 6.1 (2 points). Run this cell; do not edit it.
from helpers import exercises

with exercises.test_set_hidden(split):
    my_threshold = choose_threshold(scores[focus]["train"], scores[focus]["val"], split.y_val)
exercises.check_threshold(my_threshold, scores[focus]["val"], split.y_val)
exercises.passed("6.1")
### BEGIN HIDDEN TESTS
from helpers import hidden_checks

hidden_checks.check_threshold_cases(choose_threshold)
exercises.passed("6.1", hidden=True)
### END HIDDEN TESTS

# %%
datasets.notes(cfg.dataset, "06_threshold", cfg.options, split=split)

# %% [markdown]
# The report (next notebook) applies the run's chosen method (`threshold` in the parameters
# cell; each dataset has a default) to the test set, and lists every other method's figures too.
#
# Next: **07 report**.
