"""Event-level scores for time series.

Point-wise figures count every point. An operator thinks in *events*: a labelled
anomaly window (NAB) or a run of consecutive anomalous points (Yahoo) is one event,
found if the detector flags at least one of its points. Definitions used in the
report:

- **event recall**: the share of events with at least one flagged point;
- **false alarms per 1,000 points**: runs of consecutive flagged points that touch
  no event, per 1,000 points;
- **point-adjusted F1**: F1 after counting *every* point of a found event as
  detected (a common convention in time-series papers; it rewards a single lucky
  hit inside a long window, which is why the report shows a random score's figure
  next to every model's).

Events never cross from one series into the next (``groups``).
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score


def runs(flags: np.ndarray, groups: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(start, end) index pairs, end exclusive, of the runs of consecutive set flags;
    a run ends where a series ends."""
    flags = np.asarray(flags).astype(bool)
    if groups is None:
        groups = np.zeros(len(flags), int)
    groups = np.asarray(groups)
    change = np.r_[True, (flags[1:] != flags[:-1]) | (groups[1:] != groups[:-1])]
    edges = np.r_[np.flatnonzero(change), len(flags)]
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if flags[a]]


def point_adjust(y_true: np.ndarray, y_pred: np.ndarray, groups=None) -> np.ndarray:
    """Predictions with every point of a found event set to 1."""
    adjusted = np.asarray(y_pred).astype(int).copy()
    for a, b in runs(y_true, groups):
        if adjusted[a:b].any():
            adjusted[a:b] = 1
    return adjusted


def scores(y_true, y_pred, groups=None) -> dict:
    """Event recall, false alarms per 1,000 points and point-adjusted F1."""
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"labels have shape {y_true.shape} but predictions {y_pred.shape}")
    events = runs(y_true, groups)
    found = sum(bool(y_pred[a:b].any()) for a, b in events)
    alarms = runs(y_pred, groups)
    false_alarms = sum(not y_true[a:b].any() for a, b in alarms)
    return {
        "events": len(events),
        "events_found": int(found),
        "event_recall": found / len(events) if events else float("nan"),
        "false_alarms_per_1k": 1000 * false_alarms / max(len(y_true), 1),
        "pa_f1": float(f1_score(y_true, point_adjust(y_true, y_pred, groups), zero_division=0)),
    }
