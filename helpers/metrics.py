"""Honest evaluation: figures for the anomaly class, not for the easy majority."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix,
                             precision_recall_fscore_support, roc_auc_score)


def check_labels(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    y_true, scores = np.asarray(y_true).astype(int), np.asarray(scores, dtype=float)
    if y_true.shape != scores.shape:
        raise ValueError(f"labels have shape {y_true.shape} but scores {scores.shape}")
    if not set(np.unique(y_true)) <= {0, 1}:
        raise ValueError(f"labels must be 0 (normal) or 1 (anomaly), got {sorted(set(np.unique(y_true)))}")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values; the model may have diverged")
    return y_true, scores


def evaluate(y_true, scores, threshold: float) -> dict:
    """Anomaly-class precision, recall and F1 at ``threshold`` (a row is flagged when
    its score is at least the threshold), threshold-free ROC-AUC and PR-AUC (average
    precision), the confusion matrix, and accuracy for comparison only. ``flagged_share``
    (the share of rows or points flagged) and ``fp_per_1k`` (normal ones flagged, per
    1,000) show a threshold that flags almost everything for what it is."""
    y_true, scores = check_labels(y_true, scores)
    y_pred = (scores >= threshold).astype(int)
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=1,
                                                 zero_division=0)
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    both = len(np.unique(y_true)) == 2
    return {
        "threshold": float(threshold),
        "roc_auc": float(roc_auc_score(y_true, scores)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y_true, scores)) if both else float("nan"),
        "precision": float(p), "recall": float(r), "f1": float(f),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp),
        "n_test": int(len(y_true)), "n_test_anomalies": int(y_true.sum()),
        "flagged_share": float(y_pred.mean()) if len(y_pred) else float("nan"),
        "fp_per_1k": 1000.0 * float(fp) / len(y_true) if len(y_true) else float("nan"),
    }


def majority_accuracy(y_true) -> float:
    """Accuracy of a 'detector' that calls everything normal."""
    y_true = np.asarray(y_true)
    return float((y_true == 0).mean())
