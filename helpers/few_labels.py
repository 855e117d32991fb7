"""Notebook 07 on a labelled table (seed 004): what a few labels buy, and a submission file.

- ``label_curve``: test PR-AUC of the detectors that use labels, refitted with more or fewer
  labelled anomalies on the same unlabelled rows (the split keeps them fixed);
- ``answers``: the two questions in words, each with the noise of its gap: do the labels beat
  the unsupervised detectors, and does DevNet beat a plain classifier given the same labels?
- ``submit``: the chosen detector's test scores as a Kaggle-style ``submission.csv``, which
  ``python -m helpers.leaderboard`` scores against the withheld labels.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import datasets, detectors, leaderboard, noise, paths
from .datasets.labelled import FewLabelSplit, TableError
from .preprocessing import scale_split

COUNTS = (5, 10, 30, 60)  # labelled anomalies for the curve
QUICK_COUNTS = (5, 30)
USES_LABELS = "few labels"  # the ``kind`` of a detector that reads labels


def applies(split) -> bool:
    """Whether this run's data has the few-labels protocol."""
    return isinstance(split, FewLabelSplit)


def unsupervised(headline: pd.DataFrame) -> list[str]:
    return [m for m in headline.index if headline.at[m, "kind"] != USES_LABELS]


def with_labels(headline: pd.DataFrame) -> list[str]:
    return [m for m in headline.index if headline.at[m, "kind"] == USES_LABELS]


def splits_with_labels(cfg, scaler, split, counts) -> dict[int, FewLabelSplit]:
    """The run's split with each number of labelled anomalies in ``counts``: the same
    unlabelled, validation and test rows, fewer or more labels. Fewer: a subset of the
    run's labelled anomalies (drawn with the run's seed). More: the split made again with
    that many labels (``labelled.split_few_labels`` adds them to the run's), scaled with
    the run's scaler. A count the data has too few anomalies for is left out."""
    out, have = {}, len(split.X_labelled)
    order = np.random.default_rng(cfg.seed).permutation(have)
    more = [k for k in counts if k > have]
    raw = opts = None
    if more:
        opts = datasets.check_options(cfg.dataset, cfg.options)
        raw = datasets.load(cfg.dataset, cfg.seed, cfg.quick, opts)
    for k in counts:
        if k <= have:
            out[k] = replace(split, X_labelled=split.X_labelled[np.sort(order[:k])])
            continue
        try:
            other = scale_split(datasets.split(cfg.dataset, raw, cfg.seed, cfg.quick,
                                               {**opts, "labelled_anomalies": k}), scaler)
        except TableError:
            continue
        if np.array_equal(other.X_train, split.X_train):  # not so when anomalies run short
            out[k] = other
    return out


def label_curve(cfg, scaler, split, names=("devnet", "supervised"), counts=None) -> pd.DataFrame:
    """Test ROC-AUC and PR-AUC of each detector in ``names`` fitted with each number of
    labelled anomalies (``splits_with_labels``): one row per (labels, detector). Every
    refit uses the run's seed. ``attrs["left out"]`` lists the counts the data could not
    give on the same unlabelled rows."""
    from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: PLC0415

    counts = counts or (QUICK_COUNTS if cfg.quick else COUNTS)
    rows = []
    splits = splits_with_labels(cfg, scaler, split, counts)
    for k, other in splits.items():
        for name in names:
            det = detectors.build(name, seed=cfg.seed, threads=cfg.threads).fit(other)
            scores = det.score_samples(other, "test")
            rows.append({"labelled anomalies": k, "detector": name,
                         "roc_auc": roc_auc_score(other.y_test, scores),
                         "pr_auc": average_precision_score(other.y_test, scores),
                         "fit_seconds": det.fit_seconds_})
    curve = pd.DataFrame(rows, columns=["labelled anomalies", "detector", "roc_auc", "pr_auc",
                                        "fit_seconds"])
    curve.attrs["left out"] = [k for k in counts if k not in splits]
    return curve


def curve_text(curve: pd.DataFrame) -> str:
    """Which label counts the curve holds, and which the data could not give."""
    done = sorted(set(curve["labelled anomalies"]))
    text = (f"Trained with {', '.join(map(str, done))} labelled anomalies." if done
            else "No count of labelled anomalies could be trained on the run's unlabelled rows.")
    if curve.attrs.get("left out"):
        text += (f" Left out: {', '.join(map(str, curve.attrs['left out']))}, more labelled "
                 "anomalies than the training part holds beside its unmarked ones.")
    return text


def best_by_validation(headline: pd.DataFrame, names) -> str:
    """Of ``names``, the detector with the highest validation PR-AUC (never a test figure)."""
    return headline.loc[list(names), "val_pr_auc"].idxmax()


def answers(headline: pd.DataFrame, split, test_scores: dict, seed: int = 0) -> str:
    """The two questions of a few-labels run, in sentences with the noise of each gap
    (paired bootstrap of the test rows)."""
    n = len(split.X_labelled)
    plain = unsupervised(headline)
    labelled = with_labels(headline)
    if not plain or not labelled:
        return "This run has no detector of one of the two kinds to compare."
    lines = []
    y = split.y_test
    top_plain = best_by_validation(headline, plain)
    top_labelled = best_by_validation(headline, labelled)

    def gap(a, b):
        return noise.gap(y, test_scores[a], test_scores[b], "pr_auc", seed=seed)

    g, lo, hi = gap(top_labelled, top_plain)
    pr = headline["pr_auc"]
    verdict = ("not clearly" if not noise.beyond_noise(lo, hi) else "yes" if g > 0 else "no")
    lines.append(
        f"Do {n} labelled anomalies beat the unsupervised detectors? {verdict.capitalize()}: the "
        f"best detector with labels (by validation PR-AUC), {top_labelled}, has test PR-AUC "
        f"{pr[top_labelled]:.3f}; the best without, {top_plain}, {pr[top_plain]:.3f} "
        f"({g:+.3f}, {noise.gap_text(lo, hi)}).")
    if "devnet" in headline.index:
        beaten = [m for m in plain if pr["devnet"] > pr[m]]
        closest = max(plain, key=lambda m: pr[m])
        g, lo, hi = gap("devnet", closest)
        every = ("beats every unsupervised detector of this run on test PR-AUC"
                 if len(beaten) == len(plain) else
                 f"does not beat every unsupervised detector on test PR-AUC ({closest} is ahead)")
        lines.append(f"DevNet ({pr['devnet']:.3f}) {every}; against the closest, {closest}: "
                     f"{g:+.3f}, {noise.gap_text(lo, hi)}.")
    if "devnet" in headline.index and "supervised" in headline.index:
        g, lo, hi = gap("devnet", "supervised")
        word = ("beats" if g > 0 and noise.beyond_noise(lo, hi) else
                "falls behind" if g < 0 and noise.beyond_noise(lo, hi) else "is level with")
        lines.append(
            f"Does DevNet beat a plain classifier given the same {n} labels? DevNet {word} the "
            f"logistic regression: test PR-AUC {pr['devnet']:.3f} against {pr['supervised']:.3f} "
            f"({g:+.3f}, {noise.gap_text(lo, hi)}).")
    if "memae_devnet" in headline.index and "devnet" in headline.index:
        g, lo, hi = gap("memae_devnet", "devnet")
        lines.append(f"Seed 004's plan, a DevNet head on MemAE's frozen codes, reaches test PR-AUC "
                     f"{pr['memae_devnet']:.3f} against DevNet's {pr['devnet']:.3f} on the raw "
                     f"features ({g:+.3f}, {noise.gap_text(lo, hi)}).")
    return "\n".join(lines)


def submit(cfg, split, headline: pd.DataFrame, test_scores: dict) -> str:
    """Write the test scores of the detector with the best validation PR-AUC as
    ``<run folder>/submission.csv`` (``id,score``, in test order) and say how to score
    it; returns that text."""
    name = best_by_validation(headline, headline.index)
    path = leaderboard.write_submission(cfg.run_dir / "submission.csv", split.test_ids,
                                        test_scores[name])
    default = Path(cfg.run_dir).resolve() == paths.default_run_dir(cfg.dataset).resolve()
    where = "" if default else \
        f" --run-dir {paths.show(cfg.run_dir)}"
    return (f"{paths.show(path)}: {len(split.test_ids):,} rows (id,score) from {name}, the "
            f"detector with the best validation PR-AUC. An instructor scores it against the "
            f"withheld test labels with\n  python -m helpers.leaderboard {paths.show(path)} "
            f"--dataset {cfg.dataset}{where}")
