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
    """The same split with every set of rows passed through the (already fitted) scaler
    (a split's ``extra_rows``, such as labelled anomalies, included)."""
    f = lambda X: scaler.transform(X).astype("float32")  # noqa: E731
    extra = {name: f(getattr(split, name)) for name in getattr(split, "extra_rows", ())}
    return replace(split, X_train=f(split.X_train), X_val=f(split.X_val), X_test=f(split.X_test),
                   info=dict(split.info), labels=dict(split.labels), **extra)


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


def scaling_summary(method: str, scaled: Split) -> str:
    """What the scaling did to this run's rows, in a sentence or two: for a scaler, the
    training rows' overall mean and spread after it and the test rows'; without one, the
    training range and the share of test values outside it."""
    train, test = np.asarray(scaled.X_train, float), np.asarray(scaled.X_test, float)
    if method == "standard":
        means, stds = test.mean(axis=0), test.std(axis=0)
        return ("After the scaler every training feature has mean 0 and standard deviation 1, by "
                "construction. On the test rows, which the scaler never saw, the features' means "
                f"range from {means.min():.3f} to {means.max():.3f} and their standard deviations "
                f"from {stds.min():.3f} to {stds.max():.3f}: close, not exact.")
    lo, hi = train.min(), train.max()
    outside = float(((test < lo) | (test > hi)).mean())
    fitted = "after the scaler" if method == "minmax" else "as the split left them"
    return (f"Training values {fitted} span {lo:.3f} to {hi:.3f}; {outside:.1%} of the test "
            "values lie outside that range, levels the model never saw in training.")
