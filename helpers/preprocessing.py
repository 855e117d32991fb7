"""Scaling, fitted on the normal training rows only.

Fitting a scaler on all the data would let the test rows (and the anomalies)
shape the training data: a quiet leak. The scaler learns means and spreads from
``X_train`` and is then applied, unchanged, to validation and test rows."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from .datasets.base import Split
from .checks import check_choice

class NoScaling:
    """For data already on a fixed scale, such as pixels in [0, 1]."""

    def fit(self, X):
        return self

    def transform(self, X):
        return np.asarray(X)


SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "none": NoScaling}


def fit_scaler(X_train: np.ndarray, method: str = "standard"):
    check_choice("scaler", method, list(SCALERS))
    return SCALERS[method]().fit(X_train)


def scale_split(split: Split, scaler) -> Split:
    """The same split with every set passed through the (already fitted) scaler."""
    f = lambda X: scaler.transform(X).astype("float32")  # noqa: E731
    return replace(split, X_train=f(split.X_train), X_val=f(split.X_val), X_test=f(split.X_test),
                   info=dict(split.info), labels=dict(split.labels))


def scaling_table(split: Split, scaled: Split, names, n: int = 5):
    """Mean and spread of the ``n`` most varied training features, before (raw train)
    and after scaling (train and test)."""
    import pandas as pd  # noqa: PLC0415

    cols = np.sort(np.argsort(split.X_train.var(axis=0))[-n:])
    if len(names) != split.X_train.shape[1]:  # windows of a time series: name the positions
        names = [f"window position {i}" for i in range(split.X_train.shape[1])]
    return pd.DataFrame({
        "raw train mean": split.X_train[:, cols].mean(axis=0),
        "raw train std": split.X_train[:, cols].std(axis=0),
        "train mean": scaled.X_train[:, cols].mean(axis=0),
        "train std": scaled.X_train[:, cols].std(axis=0),
        "test mean": scaled.X_test[:, cols].mean(axis=0),
        "test std": scaled.X_test[:, cols].std(axis=0),
    }, index=[names[i] for i in cols]).round(3)
