"""Classical detectors, trained in the same run on the same normal rows, so
that every autoencoder figure can be read against them."""
from __future__ import annotations

import time

import numpy as np
from sklearn.covariance import EmpiricalCovariance
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest

from .params import check_choice, check_fraction


class PCAReconstruction:
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

    def score(self, X):
        recon = self.pca.inverse_transform(self.pca.transform(X))
        return np.mean((X - recon) ** 2, axis=1)

    def describe(self) -> str:
        return f"PCA, {self.pca.n_components_} components ({self.variance:.0%} of variance)"


class IsolationForestDetector:
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


class Mahalanobis:
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


REGISTRY = {cls.name: cls for cls in (PCAReconstruction, IsolationForestDetector, Mahalanobis)}


def names() -> list[str]:
    return list(REGISTRY)


def fit(name: str, X_train: np.ndarray, seed: int):
    """Fit one baseline on normal training rows; returns the detector and its fit time."""
    check_choice("baseline", name, names())
    start = time.perf_counter()
    detector = REGISTRY[name](seed=seed).fit(X_train)
    return detector, time.perf_counter() - start
