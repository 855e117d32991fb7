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
    anomalous points), at least 20 points; 1 (single rows) for data without an order."""
    if groups is None:
        return 1
    y = np.asarray(y).astype(int)
    edges = np.diff(np.r_[0, y, 0])
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    return max(20, 2 * int(runs.max()) if len(runs) else 20)


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    tail = (1 - LEVEL) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def intervals(y, scores: dict, n: int = DRAWS, seed: int = 0, block: int = 1) -> pd.DataFrame:
    """Each detector's ROC-AUC and PR-AUC on the test rows with its 95% bootstrap
    interval; ``scores`` maps a name to its test scores. Columns ``roc_auc``,
    ``roc_auc_lo``, ``roc_auc_hi``, ``pr_auc``, ... indexed by name."""
    y = np.asarray(y).astype(int)
    idx = list(draws(y, n, seed, block))
    rows = {}
    for name, s in scores.items():
        s = np.asarray(s, dtype=float)
        row = {}
        for fig, func in FIGURES.items():
            row[fig] = float(func(y, s))
            row[f"{fig}_lo"], row[f"{fig}_hi"] = _percentiles(np.array([func(y[i], s[i]) for i in idx]))
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def gap(y, a, b, figure: str = "pr_auc", n: int = DRAWS, seed: int = 0,
        block: int = 1) -> tuple[float, float, float]:
    """``figure`` of scores ``a`` minus that of scores ``b``, with the 95% interval of the
    gap over paired bootstrap draws: ``(gap, low, high)``."""
    y = np.asarray(y).astype(int)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    func = FIGURES[figure]
    diffs = np.array([func(y[i], a[i]) - func(y[i], b[i]) for i in draws(y, n, seed, block)])
    lo, hi = _percentiles(diffs)
    return float(func(y, a) - func(y, b)), lo, hi


def beyond_noise(low: float, high: float) -> bool:
    """Whether a gap's interval leaves out 0: the gap is larger than the noise."""
    return low > 0 or high < 0


def gap_text(low: float, high: float) -> str:
    """``"beyond noise"`` or ``"within noise"``, with the gap's 95% interval."""
    word = "beyond noise" if beyond_noise(low, high) else "within noise"
    return f"{word}: 95% interval of the gap {low:+.3f} to {high:+.3f}"


def seed_spread(values) -> dict:
    """Mean, lowest and highest of one figure over several training seeds."""
    v = np.asarray(list(values), dtype=float)
    return {"mean": float(v.mean()), "min": float(v.min()), "max": float(v.max()), "seeds": len(v)}
