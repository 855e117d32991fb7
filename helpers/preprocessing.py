"""Scaling, fitted on the normal training rows only.

Fitting a scaler on all the data would let the test rows (and the anomalies)
shape the training data: a quiet leak. The scaler learns means and spreads from
``X_train`` and is then applied, unchanged, to validation and test rows."""
from __future__ import annotations

import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from .datasets.base import Split
from .params import check_choice

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler}


def fit_scaler(X_train: np.ndarray, kind: str = "standard"):
    check_choice("scaler", kind, list(SCALERS))
    return SCALERS[kind]().fit(X_train)


def scale_split(split: Split, scaler) -> Split:
    """The same split with every set passed through the (already fitted) scaler."""
    f = lambda X: scaler.transform(X).astype("float32")  # noqa: E731
    return Split(f(split.X_train), f(split.X_val), split.y_val, f(split.X_test), split.y_test,
                 split.train_anomaly_share, dict(split.info))
