"""Sliding windows over time series, and back from window errors to one score per point.

A windowed autoencoder reads ``window`` consecutive values at a time. Every point
is covered by up to ``window`` windows (fewer at the edges, or with a stride above
1); its anomaly score is the mean of the squared errors that those windows make *at
that point*. Windows never cross from one series into the next.
"""
from __future__ import annotations

import numpy as np


def starts(groups: np.ndarray, window: int, stride: int = 1) -> np.ndarray:
    """Start index of every window of ``window`` points that stays inside one series.

    ``groups`` holds each point's series id; points of one series must be contiguous.
    """
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be at least 1, got window={window}, stride={stride}")
    groups = np.asarray(groups)
    out = []
    bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi - lo >= window:
            out.append(np.arange(lo, hi - window + 1, stride))
    return np.concatenate(out) if out else np.zeros(0, dtype=int)


def make(values: np.ndarray, window_starts: np.ndarray, window: int) -> np.ndarray:
    """The windows as rows: ``values[s : s + window]`` for every start ``s``."""
    idx = np.asarray(window_starts)[:, None] + np.arange(window)
    return np.asarray(values, dtype="float32")[idx]


def any_in_window(flags: np.ndarray, window_starts: np.ndarray, window: int) -> np.ndarray:
    """For every window, whether any of its points is flagged (e.g. anomalous)."""
    return make(np.asarray(flags, dtype=float), window_starts, window).max(axis=1) > 0 \
        if len(window_starts) else np.zeros(0, bool)


def to_points(errors: np.ndarray, window_starts: np.ndarray, n_points: int) -> np.ndarray:
    """One score per point: the mean, over the windows covering it, of the error each
    window makes at that point. ``errors`` is (windows, window): per-position errors.
    Points no window covers get NaN."""
    errors = np.asarray(errors, dtype=float)
    window_starts = np.asarray(window_starts)
    if errors.shape[0] != len(window_starts):
        raise ValueError(f"{errors.shape[0]} window errors for {len(window_starts)} windows")
    if errors.ndim == 1:
        raise ValueError("pass per-position errors of shape (windows, window length)")
    window = errors.shape[1]
    idx = (window_starts[:, None] + np.arange(window)).ravel()
    total = np.bincount(idx, weights=errors.ravel(), minlength=n_points)
    count = np.bincount(idx, minlength=n_points)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)[:n_points]
