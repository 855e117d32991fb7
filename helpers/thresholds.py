"""Ways to turn an anomaly score into a decision, all chosen without the test set.

Each method sees the scores of the normal training rows, the validation scores
and labels, and the anomaly share of the labelled training part. None of them
sees a test row.

The validation set holds *all* the training part's anomalies, so anomalies are
more common there than in the data the detector will meet. Precision depends on
that share, so the curve-based methods weight the validation anomalies until
their share equals the training part's (``prevalence_weights``); otherwise the
threshold would be tuned for a world with several times more anomalies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn.metrics import precision_recall_curve, precision_recall_fscore_support

from .checks import check_choice


@dataclass
class ThresholdInputs:
    train_scores: np.ndarray
    val_scores: np.ndarray
    y_val: np.ndarray
    anomaly_share: float


def prevalence_weights(y: np.ndarray, share: float) -> np.ndarray:
    """Sample weights that make the anomalies' weighted share of ``y`` equal ``share``."""
    y = np.asarray(y)
    n_pos, n_neg = int(y.sum()), int((y == 0).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("validation labels need both normal rows and anomalies")
    w_pos = share / (1 - share) * n_neg / n_pos
    return np.where(y == 1, w_pos, 1.0)


def validation_pr_curve(inp: ThresholdInputs):
    """Precision, recall and thresholds on the prevalence-weighted validation set."""
    w = prevalence_weights(inp.y_val, inp.anomaly_share)
    p, r, t = precision_recall_curve(inp.y_val, inp.val_scores, sample_weight=w)
    return p[:-1], r[:-1], t  # drop the (recall 0) end point that has no threshold


def curve_f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    """F1 at every point of a precision-recall curve (0 where both are 0)."""
    return 2 * p * r / np.maximum(p + r, 1e-12)


def percentile_98(inp: ThresholdInputs) -> float:
    """Seed 001's rule: flag the top 2% of scores. The seed took the percentile of
    the *test* scores; here it is taken on the validation scores."""
    return float(np.percentile(inp.val_scores, 98))


def mean_k_std(inp: ThresholdInputs, k: float = 3.0) -> float:
    """Mean plus ``k`` standard deviations of the normal training rows' scores."""
    return float(inp.train_scores.mean() + k * inp.train_scores.std())


def max_train(inp: ThresholdInputs) -> float:
    """The largest score seen on normal training rows: anything above it is new."""
    return float(inp.train_scores.max())


def contamination(inp: ThresholdInputs) -> float:
    """Flag the expected share of anomalies: the (1 - share) quantile of the normal
    training rows' scores, with the share estimated from the labelled training part."""
    return float(np.quantile(inp.train_scores, 1 - inp.anomaly_share))


def validation_figures(inp: ThresholdInputs, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 on the prevalence-weighted validation set at
    ``threshold``, and the share of validation rows it flags."""
    flagged = inp.val_scores >= threshold
    w = prevalence_weights(inp.y_val, inp.anomaly_share)
    p, r, f, _ = precision_recall_fscore_support(inp.y_val, flagged, average="binary",
                                                 sample_weight=w, zero_division=0)
    return {"precision": float(p), "recall": float(r), "f1": float(f),
            "flagged": float(flagged.mean())}


def best_f1(inp: ThresholdInputs) -> float:
    """The threshold with the highest F1 on the (weighted) validation set."""
    p, r, t = validation_pr_curve(inp)
    return float(t[int(np.argmax(curve_f1(p, r)))])


def flagged_share(inp: ThresholdInputs, threshold: float) -> float:
    """The share of rows ``threshold`` flags on the prevalence-weighted validation set:
    an estimate of the share it would flag on data with the expected anomaly share."""
    w = prevalence_weights(inp.y_val, inp.anomaly_share)
    return float(w[inp.val_scores >= threshold].sum() / w.sum())


def flag_all_f1(inp: ThresholdInputs) -> float:
    """The weighted validation F1 of flagging every row (precision = the expected
    anomaly share, recall 1): the least a threshold must beat to be of any use."""
    s = inp.anomaly_share
    return 2 * s / (1 + s)


def best_f1_budget(inp: ThresholdInputs, budget: float = 0.5) -> float:
    """The highest weighted validation F1 among thresholds that flag at most ``budget``
    times the expected anomaly share: an alarm budget. Where labelled windows are wide
    (NAB's surround each event generously, and most of their points look normal) and
    one of them fills a large share of the validation part, flagging everything already
    has a fair F1 (0.33 when a fifth of the points are anomalous), and plain ``best_f1``
    picks it or something close; this rule stays selective. Its price: it never flags
    more than ``budget`` of the anomalous rows, so its recall is at most ``budget``.
    Without a threshold within the budget it flags nothing."""
    p, r, t = validation_pr_curve(inp)
    # weighted flagged share = flagged anomalies / precision = recall * share / precision
    share = r * inp.anomaly_share / np.maximum(p, 1e-12)
    f1 = curve_f1(p, r)
    ok = share <= budget * inp.anomaly_share
    if not ok.any():
        return float(np.nextafter(np.max(inp.val_scores), np.inf))  # flag nothing
    return float(t[np.flatnonzero(ok)[np.argmax(f1[ok])]])


# A threshold that flags more than this many times the anomaly share is called out; a
# detector whose best validation F1 is not this much above flagging every row has none
# that works.
FLAG_LIMIT = 3.0
MARGIN = 0.01


def best_validation_f1(inp: ThresholdInputs) -> float:
    """The highest weighted validation F1 any threshold of this detector reaches."""
    p, r, _ = validation_pr_curve(inp)
    return float(np.max(curve_f1(p, r)))


def problems(inp: ThresholdInputs, threshold: float) -> list[str]:
    """What is wrong on the validation set, in short phrases: ``threshold`` flags more
    than ``FLAG_LIMIT`` times the expected anomaly share, or no threshold of this
    detector beats flagging every row (by more than ``MARGIN`` in F1). An empty list:
    nothing to say."""
    found = []
    share = flagged_share(inp, threshold)
    if share > FLAG_LIMIT * inp.anomaly_share:
        found.append(f"val: flags {share:.0%}, {share / inp.anomaly_share:.1f}x the anomaly share")
    best, floor = best_validation_f1(inp), flag_all_f1(inp)
    if best <= floor + MARGIN:
        found.append(f"val: no threshold beats flagging every row (best F1 {best:.2f}, "
                     f"flagging all {floor:.2f})")
    return found


def closest_to_corner(inp: ThresholdInputs) -> float:
    """The point of the validation precision-recall curve closest to (1, 1), the
    rule of seed 003."""
    p, r, t = validation_pr_curve(inp)
    return float(t[int(np.argmin((1 - p) ** 2 + (1 - r) ** 2))])


def high_recall(inp: ThresholdInputs, target: float = 0.95) -> float:
    """The highest threshold that still catches ``target`` of the validation
    anomalies: seed 003's second operating point, for when a miss is expensive."""
    p, r, t = validation_pr_curve(inp)
    ok = np.flatnonzero(r >= target)
    return float(t[ok[-1]] if len(ok) else t[0])


@dataclass(frozen=True)
class Method:
    """A threshold rule: the function, its rule in a phrase, its label in plots, and
    what it reads."""

    rule: Callable[[ThresholdInputs], float]
    summary: str
    label: str
    uses: str


# Adding a threshold method means one entry here; notebook 06's table and every
# report row pick it up.
METHODS: dict[str, Method] = {
    "percentile_98": Method(percentile_98, "flag the top 2% (seed 001's rule; the seed took it "
                            "on the *test* errors)", "98th percentile (validation)",
                            "validation scores"),
    "mean_3std": Method(mean_k_std, "mean + 3 standard deviations of normal errors",
                        "mean + 3 std (train)", "training scores"),
    "max_train": Method(max_train, "the largest error seen on normal training rows",
                        "max (train)", "training scores"),
    "contamination": Method(contamination, "flag the expected anomaly share, estimated from the "
                            "labelled training part", "contamination rate (train)",
                            "training scores"),
    "best_f1": Method(best_f1, "the highest F1 on the validation precision-recall curve",
                      "best F1 (validation)", "validation scores and labels"),
    "best_f1_budget": Method(best_f1_budget, "the highest F1 on that curve among thresholds "
                             "that flag at most half the expected anomaly share (an alarm budget)",
                             "best F1 within an alarm budget (validation)",
                             "validation scores and labels"),
    "closest_to_corner": Method(closest_to_corner, "the point of that curve closest to (1, 1), "
                                "seed 003's rule", "closest to (1,1) (validation)",
                                "validation scores and labels"),
    "high_recall": Method(high_recall, "the highest threshold that still catches 95% of "
                          "validation anomalies, seed 003's second point",
                          "recall >= 0.95 (validation)", "validation scores and labels"),
}

LABELS = {name: m.label for name, m in METHODS.items()}


def overview():
    """Every method as a Markdown table: name, rule and what it reads."""
    from IPython.display import Markdown  # noqa: PLC0415

    rows = [f"| `{name}` | {m.summary} | {m.uses} |" for name, m in METHODS.items()]
    return Markdown("\n".join(["| method | rule | uses |", "|---|---|---|", *rows]))


def names() -> list[str]:
    return list(METHODS)


def compute(inp: ThresholdInputs, methods=None) -> dict[str, float]:
    """Every requested threshold for one detector."""
    methods = methods or names()
    for m in methods:
        check_choice("threshold", m, names())
    return {m: METHODS[m].rule(inp) for m in methods}


def health(inputs: dict, method: str):
    """For each detector (``inputs``: name -> ThresholdInputs), how ``method``'s
    threshold does on the validation set: the share it flags (weighted, as an estimate
    for data with the expected anomaly share) and that share as a multiple of the
    expected anomaly share, its F1, the best F1 of any threshold and the F1 of flagging
    every row, and ``problems`` in words ("" when there are none)."""
    import pandas as pd  # noqa: PLC0415

    rows = {}
    for name, inp in inputs.items():
        thr = compute(inp, [method])[method]
        share = flagged_share(inp, thr)
        rows[name] = {"flagged share": share, "x anomaly share": share / inp.anomaly_share,
                      "F1": validation_figures(inp, thr)["f1"], "best F1": best_validation_f1(inp),
                      "F1 of flagging all": flag_all_f1(inp),
                      "problems": "; ".join(p.removeprefix("val: ") for p in problems(inp, thr))}
    return pd.DataFrame(rows).T


def verdict(table) -> str:
    """``health``'s table in sentences: which detectors' thresholds failed, or that none did."""
    failed = table[table["problems"] != ""]
    if failed.empty:
        return (f"Every detector's threshold flags at most {FLAG_LIMIT:g} times the expected anomaly "
                "share on validation, and every detector has a threshold that beats flagging every "
                "row.")
    return "\n".join(f"WARNING {name}: {row['problems']}. Its alarms at this threshold are not "
                     "selective: judge it by ROC-AUC and PR-AUC, which need no threshold, not by "
                     "its F1." for name, row in failed.iterrows())
