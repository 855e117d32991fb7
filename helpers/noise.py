"""How much of a figure is noise: bootstrap intervals over test rows, and gaps between
two detectors that are, or are not, larger than that noise.

A test set is a sample. Drawn again, with other rows, it would give other figures; the
bootstrap imitates that by drawing the test rows again, with replacement, many times
and recomputing the figure each time. The middle 95% of those figures is the interval.
For a gap between two detectors both are scored on the *same* draws (a paired
bootstrap), and the gap is "within noise" when its interval holds 0.

Rows of a table or images are drawn one by one, anomalies and normal rows separately
(each draw keeps the test part's anomaly share). Points of a time series are not
independent, so they are drawn in blocks of consecutive points (a moving-block
bootstrap), long enough to hold a labelled event.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

DRAWS = 500
LEVEL = 0.95
FIGURES = {"roc_auc": roc_auc_score, "pr_auc": average_precision_score}


def draws(y, n: int = DRAWS, seed: int = 0, block: int = 1) -> Iterator[np.ndarray]:
    """``n`` bootstrap draws of row positions of ``y``: stratified by class when
    ``block`` is 1, else blocks of ``block`` consecutive positions (every draw holds both
    classes)."""
    y = np.asarray(y).astype(int)
    if not 0 < y.sum() < len(y):
        raise ValueError("a bootstrap of ROC-AUC and PR-AUC needs anomalies and normal rows; "
                         f"these {len(y)} labels hold {int(y.sum())} anomalies")
    rng = np.random.default_rng(seed)
    if block <= 1:
        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        for _ in range(n):
            yield np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        return
    block = min(block, len(y))
    count = -(-len(y) // block)
    made = 0
    while made < n:
        starts = rng.integers(0, len(y) - block + 1, count)
        idx = (starts[:, None] + np.arange(block)).ravel()[:len(y)]
        if 0 < y[idx].sum() < len(idx):
            made += 1
            yield idx


def block_length(y, groups=None) -> int:
    """The block a time series is drawn in: twice its longest labelled event (a run of
    anomalous points), at least 20 points, and at most a fifth of the part, so that
    draws still differ; 1 (single rows) for data without an order."""
    if groups is None:
        return 1
    y = np.asarray(y).astype(int)
    edges = np.diff(np.r_[0, y, 0])
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    wanted = max(20, 2 * int(runs.max()) if len(runs) else 20)
    return max(1, min(wanted, len(y) // 5))


def interval(values: np.ndarray) -> tuple[float, float]:
    """The middle 95% of ``values``: its 2.5th and 97.5th percentiles."""
    tail = (1 - LEVEL) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def weighted_figures(y, scores, weights: np.ndarray, order=None) -> dict[str, np.ndarray]:
    """ROC-AUC and PR-AUC (average precision, as scikit-learn computes it) of ``scores``
    for every row of ``weights`` (draws x rows: how often each row was drawn), in one
    pass over the rows sorted once (``order``: ``scores``' positions from the highest,
    if already known). Tied scores count as scikit-learn counts them."""
    y, s = np.asarray(y).astype(int), np.asarray(scores, dtype=float)
    order = np.argsort(-s, kind="mergesort") if order is None else order
    w = np.ascontiguousarray(np.atleast_2d(weights).T[order], dtype=float)  # rows x draws, highest first
    if not (np.diff(s[order]) == 0).any():  # no ties: only the anomalies' rows need the details
        at = np.flatnonzero(y[order])
        drawn = np.cumsum(w, axis=0)[at]  # rows drawn with a score at least each anomaly's
        wp = w[at]
        tp = np.cumsum(wp, axis=0)
        p, n = tp[-1], w.sum(axis=0) - tp[-1]
        return {"pr_auc": (wp * tp / np.maximum(drawn, 1)).sum(axis=0) / p,  # counts: 0 where 0
                "roc_auc": (wp * (n - (drawn - tp))).sum(axis=0) / (p * n)}
    yo = y[order][:, None]
    pos, neg = w * yo, w * (1 - yo)
    cuts = np.flatnonzero(np.diff(s[order])) + 1
    if len(cuts) < len(s) - 1:  # tied scores: one group per distinct score
        starts = np.r_[0, cuts]
        pos, neg = np.add.reduceat(pos, starts, axis=0), np.add.reduceat(neg, starts, axis=0)
    tp, fp = np.cumsum(pos, axis=0), np.cumsum(neg, axis=0)
    p, n = tp[-1], fp[-1]
    precision = tp / np.maximum(tp + fp, 1e-300)
    return {"pr_auc": (pos * precision).sum(axis=0) / p,
            "roc_auc": (pos * (n - fp + 0.5 * neg)).sum(axis=0) / (p * n)}


def draw_weights(y, n: int = DRAWS, seed: int = 0, block: int = 1, chunk: int = 50):
    """The draws of ``draws`` as weights, ``chunk`` draws (rows) at a time."""
    size = len(y)
    batch = []
    for idx in draws(y, n, seed, block):
        batch.append(np.bincount(idx, minlength=size))
        if len(batch) == chunk:
            yield np.array(batch, dtype=np.float32)  # counts: exact in float32
            batch = []
    if batch:
        yield np.array(batch, dtype=np.float32)


def bootstrapped(y, scores: dict, n: int = DRAWS, seed: int = 0, block: int = 1) -> dict:
    """name -> figure -> that figure over the draws (the same draws for every name)."""
    out = {name: {fig: [] for fig in FIGURES} for name in scores}
    orders = {name: np.argsort(-np.asarray(s, dtype=float), kind="mergesort") for name, s in scores.items()}
    for w in draw_weights(y, n, seed, block):
        for name, s in scores.items():
            for fig, values in weighted_figures(y, s, w, orders[name]).items():
                out[name][fig].append(values)
    return {name: {fig: np.concatenate(v) for fig, v in figs.items()} for name, figs in out.items()}


def intervals(y, scores: dict, n: int = DRAWS, seed: int = 0, block: int = 1) -> pd.DataFrame:
    """Each detector's ROC-AUC and PR-AUC on the test rows with its 95% bootstrap
    interval; ``scores`` maps a name to its test scores. Columns ``roc_auc``,
    ``roc_auc_lo``, ``roc_auc_hi``, ``pr_auc``, ... indexed by name."""
    y = np.asarray(y).astype(int)
    boot = bootstrapped(y, scores, n, seed, block)
    rows = {}
    for name, s in scores.items():
        row = {}
        for fig, func in FIGURES.items():
            row[fig] = float(func(y, np.asarray(s, dtype=float)))
            row[f"{fig}_lo"], row[f"{fig}_hi"] = interval(boot[name][fig])
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def gap(y, a, b, figure: str = "pr_auc", n: int = DRAWS, seed: int = 0,
        block: int = 1) -> tuple[float, float, float]:
    """``figure`` of scores ``a`` minus that of scores ``b``, with the 95% interval of the
    gap over paired bootstrap draws: ``(gap, low, high)``."""
    y = np.asarray(y).astype(int)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    boot = bootstrapped(y, {"a": a, "b": b}, n, seed, block)
    lo, hi = interval(boot["a"][figure] - boot["b"][figure])
    func = FIGURES[figure]
    return float(func(y, a) - func(y, b)), lo, hi


def gaps(y, scores: dict, best: str, others, n: int = DRAWS, seed: int = 0,
         block: int = 1) -> dict[tuple[str, str], tuple[float, float, float]]:
    """``gap`` of ``best`` against each of ``others`` on ROC-AUC and PR-AUC:
    (other, figure) -> (gap, low, high); positive means ``best`` is ahead."""
    y = np.asarray(y).astype(int)
    others = [o for o in others if o != best]
    boot = bootstrapped(y, {k: scores[k] for k in [best, *others]}, n, seed, block)
    out = {}
    for o in others:
        for fig, func in FIGURES.items():
            lo, hi = interval(boot[best][fig] - boot[o][fig])
            out[(o, fig)] = (float(func(y, np.asarray(scores[best], dtype=float))
                                   - func(y, np.asarray(scores[o], dtype=float))), lo, hi)
    return out


def beyond_noise(low: float, high: float) -> bool:
    """Whether a gap's interval leaves out 0: the gap is larger than the noise."""
    return low > 0 or high < 0


def gap_text(low: float, high: float) -> str:
    """``"beyond noise"`` or ``"within noise"``, with the gap's 95% interval."""
    word = "beyond noise" if beyond_noise(low, high) else "within noise"
    return f"{word}: 95% interval of the gap {low:+.3f} to {high:+.3f}"

