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
# # 7. Report: the test set, once
#
# Everything so far was decided on training and validation data. Now each detector scores the
# **test set** once, with a threshold set as in notebook 06 (from its training and validation
# scores, by the run's threshold method), and we report the figures that matter
# for the **anomaly class**:
#
# - **precision**: of the rows flagged, the share that are anomalies;
# - **recall**: of the anomalies, the share that are flagged;
# - **F1**: their harmonic mean;
# - **ROC-AUC** and **PR-AUC** (average precision): how well the scores rank anomalies above
#   normal rows, over all thresholds. On rare anomalies PR-AUC is the stricter one: chance level
#   is the test set's anomaly share (printed below), while ROC-AUC's chance level is 0.5;
# - **flagged share**: the share of test rows flagged, to set beside the anomaly share. A
#   threshold that flags nearly everything finds every anomaly and every event, and is useless.
#
# To read these numbers, we need **baselines** trained in the same run, on the same normal rows:
# the dataset's registry entry names them (listed below). Among them: PCA reconstruction (a
# linear autoencoder), IsolationForest and the Mahalanobis distance for tables, and for time
# series seed 002's pointwise model, a rolling z-score and a random score.
#
# For time series the report adds **event-level** figures, defined in `helpers/events.py`:
# *event recall* (the share of labelled events, i.e. windows or runs of anomalous points, with at
# least one flagged point), *false alarms per 1,000 points* (runs of flagged points that touch no
# event) and *point-adjusted F1* (F1 after counting every point of a found event as detected).

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
from sklearn.metrics import classification_report
from helpers import (datasets, detectors, few_labels, metrics, noise, pitfalls, plots, scoring, seed_runs,
                     summary, training)
from helpers.session import load_split
from helpers.session import begin

cfg, state = begin("07_report", dataset=dataset, seed=seed, epochs=epochs, quick=quick,
                   models=models, threshold=threshold, threads=threads, seeds=seeds, run_dir=run_dir,
                   options=options)

# %%
split = load_split(state)
spec = datasets.spec(cfg.dataset)
chosen = cfg.threshold
print("data:", split.info.get("source", ""))
print(f"threshold method: {chosen!r}, set for the whole run (06 shows every method)")
trained = detectors.load_trained(state, cfg.models)

# %% [markdown]
# ## Baselines, trained now on the same rows

# %%
fitted = dict(trained)
for name in spec.baselines:
    fitted[name] = detectors.build(name, seed=cfg.seed, threads=cfg.threads).fit(split)
    print(f"{name:<17} {fitted[name].describe()}, fitted in {fitted[name].fit_seconds_:.2f}s")

# %% [markdown]
# Every detector, autoencoder or baseline, is now scored the same way: `score_samples` on the
# training, validation and test parts. Each threshold method is set from the first two and
# applied to the third.

# %%
rows, scores = [], {}
for name, det in fitted.items():
    scores[name] = {part: det.score_samples(split, part) for part in ("train", "val", "test")}
    rows += summary.detector_rows(cfg.dataset, det, scores[name], split, chosen, quick=cfg.quick,
                                  seed=cfg.seed, options=datasets.check_options(cfg.dataset, cfg.options))
results = summary.frame(rows)
summary.write(results, cfg.run_dir / "metrics.csv")
headline = summary.chosen(results).set_index("model")
test_scores = {name: s["test"] for name, s in scores.items()}
val_scores = {name: s["val"] for name, s in scores.items()}

# %% [markdown]
# ## The results at the chosen threshold

# %%
headline[summary.shown_columns(spec.family)].round(3)

# %% [markdown]
# A threshold can fail: flag far more than the anomaly share (more than 3 times it), or do no
# better on validation than flagging every row. The `warning` column of `metrics.csv` records it,
# and the lines below say it in words.

# %%
print(summary.warnings_text(headline))

# %%
plots.metric_bars(headline.reset_index(), by="model");

# %% [markdown]
# ## How much of this is noise?
#
# Two kinds of chance are in every figure above.
#
# - **The test sample.** Another test set of the same size would give other figures. The
#   *bootstrap* imitates that: it draws the test rows again, with replacement, a few hundred times
#   and recomputes ROC-AUC and PR-AUC each time; the middle 95% of those values is the interval
#   below. (A time series is drawn in blocks of consecutive points, as its points are not
#   independent.) No model is retrained for this.
# - **The training seed.** It draws the initial weights and the order of the batches. Notebook 05
#   trained the dataset's own autoencoder (or, if the run leaves it out, the run's first model),
#   and the two autoencoders with the best validation PR-AUC, with `seeds` seeds (3 by default, 1
#   in quick mode); the table after the intervals shows how far the dataset's own model's figures
#   move from seed to seed, and the choice of the best autoencoder below says whether its lead over
#   the next is larger than the seed moves them.
#
# When two detectors are compared below, both are scored on the *same* bootstrap draws; the gap is
# called **within noise** when its 95% interval holds 0.

# %%
block = noise.block_length(split.y_test, split.groups("test"))
test_noise = noise.intervals(split.y_test, test_scores, seed=cfg.seed, block=block)
test_noise.round(3)

# %%
focus = datasets.focus(cfg.dataset, cfg.models)
by_seed = seed_runs.figures(state, split, cfg, chosen, trained[focus], scores[focus])
print(f"{focus}, trained with {len(by_seed)} seed(s), test figures at the {chosen!r} threshold:")
display(by_seed.round(3))
if len(by_seed) > 1:
    display(seed_runs.spread(by_seed).round(3))
else:
    print("One seed only (seeds=1): this run does not measure the seed's noise.")

# %% [markdown]
# The verdict below compares the best autoencoder with the baselines, so their seeds count too.
# Baselines train in seconds: each is refitted here with the other seeds. (PCA and the Mahalanobis
# distance have no randomness, nor has a rolling z-score; they show no spread.)

# %%
baseline_seeds = seed_runs.baselines(split, cfg, chosen, {n: fitted[n] for n in spec.baselines}, scores)
seed_runs.ranges(baseline_seeds).round(3)

# %% [markdown]
# Which autoencoder is "the kit's best"? We pick it by **validation** PR-AUC, never by test
# figures, then read its test figures.

# %%
best = headline.loc[cfg.models, "val_pr_auc"].idxmax()
b = headline.loc[best]
print(f"best autoencoder by validation PR-AUC: {best}")
runners_up = headline.loc[cfg.models, "val_pr_auc"].drop(best)
if len(runners_up):
    second = runners_up.idxmax()
    g, lo, hi = noise.gap(split.y_val, val_scores[best], val_scores[second], "pr_auc", seed=cfg.seed,
                          block=noise.block_length(split.y_val, split.groups("val")))
    print(f"  ahead of the next, {second}, by {g:+.3f} validation PR-AUC ({noise.gap_text(lo, hi)})")
    lead = seed_runs.validation_by_seed(state, split, cfg, {n: val_scores[n] for n in (best, second)})
    print(f"  {seed_runs.lead_text(lead, best, second)}")
print(f"test set: PR-AUC {b.pr_auc:.3f}, ROC-AUC {b.roc_auc:.3f}, anomaly-class F1 {b.f1:.3f}, "
      f"precision {b.precision:.3f}, recall {b.recall:.3f} (threshold method {chosen!r})")
print(f"chance level of PR-AUC (the test set's anomaly share): {split.y_test.mean():.3f}")
gaps = noise.gaps(split.y_test, test_scores, best, spec.baselines, seed=cfg.seed, block=block)
print(datasets.verdict(cfg.dataset, best, headline, gaps, test_noise))
print(seed_runs.sentence(by_seed, baseline_seeds, focus, best, cfg.seeds))

# %% [markdown]
# `make test` checks the cell below against this notebook's reference output (nbval): every
# detector's test ROC-AUC, PR-AUC and F1 at its chosen threshold, to 3 decimals. They come out
# the same on any x86-64 CPU with AVX2, because the kernel runs with the numeric libraries capped
# at that level (notebook 01 prints it). On a machine without that level (ARM, Apple, a CPU
# without AVX2) or with `EXACT=0` they may differ, so there the cell runs but is not compared.

# %%
# NBVAL_CHECK_OUTPUT
# exact figures only
print(f"test part: {len(split.y_test):,} scored, {int(split.y_test.sum()):,} anomalous")
print(f"{'detector':<20}{'ROC-AUC':>8}{'PR-AUC':>8}{'F1':>7}")
for name, row in headline.iterrows():
    print(f"{name:<20}{row.roc_auc:8.3f}{row.pr_auc:8.3f}{row.f1:7.3f}")

# %%
thr = results.query("model == @best and threshold_method == @chosen")["threshold"].item()
print(classification_report(split.y_test, (test_scores[best] >= thr).astype(int),
                            target_names=["normal", "anomaly"], digits=3))

# %% [markdown]
# The classification report shows both classes. Whenever few rows are flagged, the *normal* row
# looks excellent whatever the model does; only the *anomaly* row tells you whether the detector
# works.

# %% [markdown]
# ## Exercise 7.1: The anomaly class's precision, recall and F1 (3 points)
#
# Write `anomaly_class_scores(y_true, y_pred)`: given the true labels and the predictions
# (arrays of 0 = normal, 1 = anomaly), it returns a dict with the **anomaly class's** (label 1)
# `"precision"`, `"recall"` and `"f1"`. Mind the order of the arguments and the averaging, where
# the seed documents went wrong (see the pitfalls below). When a figure's denominator is 0 (no
# row flagged, or no anomaly) the figure is 0.0, as with scikit-learn's `zero_division=0`. The
# check compares your figures with `helpers.metrics` on the best autoencoder's test predictions
# at its threshold.

# %% nbgrader={"grade": false, "grade_id": "ex7_1_anomaly_class_scores", "locked": false, "schema_version": 3, "solution": true}
def anomaly_class_scores(y_true, y_pred):
    """Precision, recall and F1 of the anomaly class (label 1), as a dict."""
    ### BEGIN SOLUTION
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, average="binary", pos_label=1, zero_division=0)
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex7_1_anomaly_class_scores_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Checks for exercise 7.1 (3 points). Run this cell; do not edit it.
from helpers import exercises

exercises.check_anomaly_scores(anomaly_class_scores, split.y_test, test_scores[best], thr)
exercises.passed("7.1")
### BEGIN HIDDEN TESTS
from helpers import hidden_checks

hidden_checks.check_anomaly_scores_cases(anomaly_class_scores)
exercises.passed("7.1", hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Confusion matrices

# %%
plots.confusion_grid({name: headline.loc[name] for name in headline.index});

# %% [markdown]
# ## Two operating points of the best autoencoder
#
# Seed 003 showed its detector at two thresholds, both chosen on validation data: the point of the
# precision-recall curve closest to (1, 1), and a high-recall point that catches 95% of the
# validation anomalies at the price of more false alarms.

# %%
points = results.query("model == @best and threshold_method in ['closest_to_corner', 'high_recall']")
plots.confusion_grid({r["threshold_method"]: r for r in points.to_dict(orient="records")});

# %% [markdown]
# ## What the best autoencoder reconstructs
#
# A few inputs of each kind with the model's reconstruction and its score: first from the
# validation set, whose anomalies are the kind thresholds were tuned on (for MNIST, the tuning
# digit), then from the test set (for MNIST, the test digit, never seen before). For images a
# third row maps each pixel's squared error; where the score is a patch, the box marks the worst
# patch, whose mean error is the score. For a time
# series an input is a window, and "anomaly" means the window holds at least one anomalous point.

# %%
for part, label in (("val", "validation"), ("test", "test")):
    X, pick, is_anomaly = scoring.examples(split, part)
    recon, errors = trained[best].reconstruct(X[pick])
    titles = [f"{'anomaly' if a else 'normal'} {s:.3f}"
              for a, s in zip(is_anomaly, split.input_scores(errors))]
    plots.reconstructions(spec.family, X[pick], recon, titles, errors=errors, patch=split.patch,
                          title=f"{best}: {label} inputs and reconstructions, with scores");

# %%
plots.score_histogram(test_scores[best], split.y_test, {chosen: thr},
                      title=f"{best}: test reconstruction error, with its threshold ({chosen}, set without test data)");

# %% [markdown]
# ## Over time (time series only)
#
# For a time series the questions are *when*: the test part of the series with the most anomalous
# points, with the labelled anomalies shaded and the flagged points marked, and below it the
# score over time with the threshold line.

# %%
plots.over_time(split, "test", test_scores[best], thr,
                title=f"{best}: test part, labelled anomalies shaded, flags marked");

# %% [markdown]
# ## Seed 000's "accuracy": R² of the reconstruction, per split
#
# Seed 000 reported the R² of its reconstructions as "accuracy" for the training, validation and
# test sets (96% for its first model) next to the loss. Both say how well a model *reconstructs*;
# neither says whether its errors separate anomalies from normal data. A model can reconstruct
# everything well, anomalies included, and detect nothing.

# %%
training.split_fit_table(trained, split).round(3)

# %% [markdown]
# ## ROC and precision-recall curves
#
# The dotted lines are chance: the diagonal for ROC, the anomaly share for precision-recall. A
# ROC curve can look respectable while the precision-recall curve shows how hard the rare class
# really is.

# %%
plots.roc_pr(split.y_test, test_scores);

# %% [markdown]
# ## Every threshold method on the test set
#
# The chosen method was fixed before this notebook ran. The others are shown for comparison, not
# for picking the best one after the fact (that would be tuning on the test set; see the
# pitfalls below).

# %%
results.pivot(index="threshold_method", columns="model", values="f1").round(3)

# %% [markdown]
# ## What a few labels buy (labelled tables)
#
# On a labelled table (`shuttle`, `thyroid`, or your own `csv`: seed 004's lesson) the training
# part carries a few labelled anomalies, and three detectors above read them: **DevNet**, seed
# 004's **MemAE + DevNet**, and a plain **supervised** classifier (logistic regression) given the
# same labels. Everything else learnt from the unlabelled rows alone. Two questions, answered
# on the test set with the noise of each gap: do the labels beat the unsupervised detectors, and
# does DevNet beat a plain classifier that had the same labels?

# %%
if few_labels.applies(split):
    print(few_labels.answers(headline, split, test_scores, seed=cfg.seed))
else:
    print("This dataset has no labelled anomalies in training: every detector above is unsupervised.")

# %% [markdown]
# How many labels does it take? DevNet and the classifier are trained again with more or fewer
# labelled anomalies, on the same unlabelled rows, and scored on the test set. The dashed line is
# the best detector without labels, chosen by validation PR-AUC.

# %%
if few_labels.applies(split):
    curve = few_labels.label_curve(cfg, state.load_object("scaler"), split)
    print(few_labels.curve_text(curve))
if few_labels.applies(split) and len(curve):
    display(curve.pivot(index="labelled anomalies", columns="detector", values="pr_auc").round(3))
    plain = few_labels.best_by_validation(headline, few_labels.unsupervised(headline))
    plots.label_curve(curve, (plain, headline.at[plain, "pr_auc"]));

# %% [markdown]
# ## A Kaggle-style submission (labelled tables)
#
# Seed 004 planned to end "on Kaggle": a competition gives the test rows without their labels,
# takes a file of scores, and ranks it against labels only the organiser holds. Here the run
# writes that file, `id,score` with one row per test row, from the detector with the best
# *validation* PR-AUC; `helpers.leaderboard` scores any such file the way a leaderboard would
# (ROC-AUC and average precision), and refuses one with missing, repeated or unknown ids.

# %%
if few_labels.applies(split):
    print(few_labels.submit(cfg, split, headline, test_scores))
else:
    print("Submission files are written for labelled tables (shuttle, thyroid, csv).")

# %% [markdown]
# ## Pitfalls: the seeds' numbers next to the honest ones
#
# Each row reproduces a mistake from the seed documents on *this* run's data and puts the honest
# figure beside it. Where the dataset's seed gave a training recipe, it was trained in notebook 05.

# %%
raw_split = load_split(state, scaled=False)
seed_figures = pitfalls.recipe_figures(cfg.dataset, state, raw_split)
pitfalls.table(split.y_test, test_scores[best], thr, seed_figures, groups=split.groups("test"),
               seed=cfg.seed).style.format(precision=3).hide(axis="index")

# %%
if seed_figures is not None:
    print(f"the seed's recipe, anomaly-class F1: {seed_figures['f1']:.2f}; the kit's {best}: {b.f1:.2f}")

# %% [markdown]
# Seed 004's only figure was an **accuracy**. When most rows are normal, accuracy rewards calling
# everything normal; the table sets each detector's accuracy (at its chosen threshold) beside
# that, beside the balanced accuracy (the mean of the two classes' recall: 0.5 for flagging
# nothing) and beside PR-AUC.

# %%
accuracy = pitfalls.accuracy_table(headline, split.y_test)
print(pitfalls.accuracy_text(accuracy))
accuracy.round(3)

# %%
# NBVAL_CHECK_OUTPUT
print(f"accuracy of calling everything normal: {metrics.majority_accuracy(split.y_test):.3f}")

# %% [markdown]
# ## What to take away
#
# - Train on normal rows, choose thresholds and models on validation data, touch the test set
#   once.
# - Report the anomaly class: precision, recall, F1, PR-AUC. Accuracy and the "normal" row of a
#   classification report say almost nothing when anomalies are rare.
# - Compare with baselines trained in the same run: a neural network is not automatically the
#   better detector.
#
# And for this dataset:

# %%
datasets.notes(cfg.dataset, "07_report", cfg.options, split=split)

# %% [markdown]
# The rows of this report are in the run folder's `metrics.csv`; `make run-all` gathers every
# dataset's rows into `build/report/metrics.csv`. Next, optionally: **08 tuning**.
