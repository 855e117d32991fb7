"""Classical detectors, trained in the same run on the same normal rows, so
that every autoencoder figure can be read against them.

Every detector has ``fit(split)`` and ``scores(split, part)``, which returns one
score per row (tables, images) or per point (time series), aligned with
``split.labels_of(part)``. The row detectors (PCA, IsolationForest, Mahalanobis)
read the same inputs as the autoencoders, windows included; the point detectors
(seed 002's pointwise model, a rolling z-score, a random score) read a time series
one value at a time.
"""
from __future__ import annotations

import time

import numpy as np
from sklearn.covariance import EmpiricalCovariance
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest

from . import architectures, scoring, training
from .params import check_choice, check_fraction


class RowDetector:
    """Fitted on the training inputs; scores inputs (rows, or windows of a series)."""

    def fit_split(self, split):
        return self.fit(split.X_train)

    def scores(self, split, part: str) -> np.ndarray:
        X = split.inputs(part)
        s = self.element_scores(X)
        return split.to_scores(part, s if s.ndim == 2 else scoring.spread(s, X.shape[1]))

    def element_scores(self, X) -> np.ndarray:
        return self.score(X)


class PCAReconstruction(RowDetector):
    """A linear autoencoder solved in closed form: project onto the principal
    components that keep ``variance`` of the training variance, score by the squared
    reconstruction error."""

    name = "pca"

    def __init__(self, variance: float = 0.9, seed: int = 0):
        self.variance = check_fraction("variance", variance)
        self.pca = PCA(n_components=self.variance, random_state=seed)

    def fit(self, X):
        self.pca.fit(X)
        return self

    def element_scores(self, X):
        return (X - self.pca.inverse_transform(self.pca.transform(X))) ** 2

    def score(self, X):
        return np.mean(self.element_scores(X), axis=1)

    def describe(self) -> str:
        return f"PCA, {self.pca.n_components_} components ({self.variance:.0%} of variance)"


class IsolationForestDetector(RowDetector):
    """Random trees isolate rare points in fewer splits; the score is how quickly."""

    name = "isolation_forest"

    def __init__(self, seed: int = 0, n_estimators: int = 200):
        self.forest = IsolationForest(n_estimators=n_estimators, random_state=seed, n_jobs=1)

    def fit(self, X):
        self.forest.fit(X)
        return self

    def score(self, X):
        return -self.forest.score_samples(X)  # higher = more anomalous

    def describe(self) -> str:
        return f"IsolationForest, {self.forest.n_estimators} trees"


class Mahalanobis(RowDetector):
    """Distance from the normal rows' mean, measured in units of their covariance."""

    name = "mahalanobis"

    def __init__(self, seed: int = 0):
        self.cov = EmpiricalCovariance()

    def fit(self, X):
        self.cov.fit(X)
        return self

    def score(self, X):
        return self.cov.mahalanobis(X)

    def describe(self) -> str:
        return "Mahalanobis distance (empirical covariance)"


class PointDetector:
    """Reads a time series one value at a time. Training-part scores are those of its
    normal points, like the autoencoders'."""

    def fit_split(self, split):
        if not hasattr(split, "ts"):
            raise ValueError(f"the {self.name!r} baseline needs a time series; this dataset has rows")
        return self.fit_points(split)

    def fit_points(self, split):
        return self

    def scores(self, split, part: str) -> np.ndarray:
        s = self.point_scores(split, part)
        return s[split.ts["train_y"] == 0] if part == "train" else s


class RollingZScore(PointDetector):
    """How many standard deviations a value lies from the mean of the ``window``
    values before it (one week of hourly points), in the same series. It looks only
    back in time and learns nothing."""

    name = "rolling_zscore"

    def __init__(self, seed: int = 0, window: int = 168, min_periods: int = 24):
        self.window, self.min_periods = window, min_periods

    def point_scores(self, split, part: str) -> np.ndarray:
        full = split.full("values")
        past = full.groupby("group")["value"]
        mean = past.transform(lambda v: v.shift(1).rolling(self.window, self.min_periods).mean())
        std = past.transform(lambda v: v.shift(1).rolling(self.window, self.min_periods).std())
        z = ((full["value"] - mean).abs() / std.where(std > 0)).fillna(0.0).to_numpy()
        m = (full["part"] == part).to_numpy()
        return z[m][np.argsort(full["i"].to_numpy()[m], kind="stable")]

    def describe(self) -> str:
        return f"rolling z-score over the previous {self.window} points"


class RandomScore(PointDetector):
    """A uniform random number per point: chance, so that every figure has a floor."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def point_scores(self, split, part: str) -> np.ndarray:
        rng = np.random.default_rng([self.seed, ("train", "val", "test").index(part)])
        return rng.random(split.points(part))

    def describe(self) -> str:
        return "random score (chance level)"


class Pointwise(PointDetector):
    """Seed 002's model, Input(1) -> Dense(10, relu) -> Dense(1), with a linear output,
    trained on the normal training points; the score is its squared error."""

    name = "pointwise"

    def __init__(self, seed: int = 0, epochs: int = 20, batch_size: int = 256):
        self.seed, self.epochs, self.batch_size = seed, epochs, batch_size

    def fit_points(self, split):
        from . import reproducibility  # noqa: PLC0415

        reproducibility.seed_everything(self.seed)
        arch = architectures.get("pointwise")
        self.model = architectures.build_autoencoder(arch, 1)
        training.compile_autoencoder(self.model, arch)
        x = split.ts["train_values"][split.ts["train_y"] == 0].reshape(-1, 1)
        self.model.fit(x, x, epochs=self.epochs, batch_size=self.batch_size, shuffle=True, verbose=0)
        return self

    def point_scores(self, split, part: str) -> np.ndarray:
        x = split.ts[f"{part}_values"].reshape(-1, 1)
        return scoring.element_errors(self.model, x)[:, 0]

    def describe(self) -> str:
        return f"seed 002's pointwise model, {self.epochs} epochs"


REGISTRY = {cls.name: cls for cls in (PCAReconstruction, IsolationForestDetector, Mahalanobis,
                                      Pointwise, RollingZScore, RandomScore)}


def names() -> list[str]:
    return list(REGISTRY)


def fit(name: str, split, seed: int):
    """Fit one baseline on the split's normal training data; returns the detector and
    its fit time."""
    check_choice("baseline", name, names())
    start = time.perf_counter()
    detector = REGISTRY[name](seed=seed).fit_split(split)
    return detector, time.perf_counter() - start
