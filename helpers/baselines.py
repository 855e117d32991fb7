"""Classical detectors, trained in the same run on the same normal rows, so
that every autoencoder figure can be read against them.

Each follows the kit's detector contract (``helpers.detector``): ``fit(split)``, then
``score_samples(split, part)`` gives one score per row (tables, images) or per point
(time series), aligned with ``split.labels_of(part)``. The row detectors (PCA,
IsolationForest, Mahalanobis) read the same inputs as the autoencoders, windows
included; the point detectors (seed 002's pointwise model, a rolling z-score, a
random score) read a time series one value at a time. The detectors that use a few
labelled anomalies (a supervised classifier, DevNet and seed 004's MemAE + DevNet, see
``helpers.devnet``) are trained here too, in the same run, on datasets that have labels.
"""
from __future__ import annotations

import numpy as np
from sklearn.covariance import EmpiricalCovariance
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest

from . import architectures, reproducibility, scoring, training
from .checks import check_fraction
from .detector import Detector
from .devnet import DevNet, MemAEDevNet, labelled_rows


class RowDetector(Detector):
    """Fitted on the training inputs; scores inputs (rows, or windows of a series)."""

    def _fit(self, split) -> None:
        self._fit_rows(split.X_train)

    def score_samples(self, split, part: str) -> np.ndarray:
        self._check_fitted()
        X = split.inputs(part)
        s = self.element_scores(X)
        return split.to_scores(part, s if s.ndim == 2 else scoring.spread(s, X.shape[1]))

    def element_scores(self, X) -> np.ndarray:
        """Per-value scores (rows, values) where the detector has them, else one per row."""
        return self.row_scores(X)


class PCAReconstruction(RowDetector):
    """A linear autoencoder solved in closed form: project onto the principal
    components that keep ``variance`` of the training variance, score by the squared
    reconstruction error."""

    name = "pca"

    def __init__(self, variance: float = 0.9, seed: int = 0):
        self.variance = variance
        self.seed = seed

    def _fit_rows(self, X) -> None:
        check_fraction("variance", self.variance)
        self.pca_ = PCA(n_components=self.variance, random_state=self.seed).fit(X)

    def element_scores(self, X):
        return (X - self.pca_.inverse_transform(self.pca_.transform(X))) ** 2

    def row_scores(self, X):
        return np.mean(self.element_scores(X), axis=1)

    def describe(self) -> str:
        return f"PCA, {self.pca_.n_components_} components ({self.variance:.0%} of variance)"


class IsolationForestDetector(RowDetector):
    """Random trees isolate rare points in fewer splits; the score is how quickly."""

    name = "isolation_forest"

    def __init__(self, seed: int = 0, n_estimators: int = 200):
        self.seed = seed
        self.n_estimators = n_estimators

    def _fit_rows(self, X) -> None:
        self.forest_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.seed,
                                       n_jobs=1).fit(X)

    def row_scores(self, X):
        return -self.forest_.score_samples(X)  # higher = more anomalous

    def describe(self) -> str:
        return f"IsolationForest, {self.n_estimators} trees"


class Mahalanobis(RowDetector):
    """Distance from the normal rows' mean, measured in units of their covariance."""

    name = "mahalanobis"

    def __init__(self, seed: int = 0):
        self.seed = seed  # unused: the estimate has no randomness; kept for one signature

    def _fit_rows(self, X) -> None:
        self.cov_ = EmpiricalCovariance().fit(X)

    def row_scores(self, X):
        return self.cov_.mahalanobis(X)

    def describe(self) -> str:
        return "Mahalanobis distance (empirical covariance)"


class PointDetector(Detector):
    """Reads a time series one value at a time. Training-part scores are those of its
    normal points, like the autoencoders'."""

    def _fit(self, split) -> None:
        if split.family != "series":
            raise ValueError(f"the {self.name!r} baseline needs a time series; this split holds "
                             f"{split.family} data")
        self._fit_points(split)

    def _fit_points(self, split) -> None:
        """Most point detectors learn nothing."""

    def score_samples(self, split, part: str) -> np.ndarray:
        self._check_fitted()
        s = self.point_scores(split, part)
        return s[split.ts["train_y"] == 0] if part == "train" else s


class RollingZScore(PointDetector):
    """How many standard deviations a value lies from the mean of the ``window``
    values before it (one week of hourly points), in the same series. It looks only
    back in time and learns nothing."""

    name = "rolling_zscore"

    def __init__(self, seed: int = 0, window: int = 168, min_periods: int = 24):
        self.seed = seed
        self.window = window
        self.min_periods = min_periods

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
    trains_a_network = True

    def __init__(self, seed: int = 0, epochs: int = 20, batch_size: int = 256, threads: int = 2):
        self.seed = seed
        self.epochs = epochs
        self.batch_size = batch_size
        self.threads = threads

    def _fit_points(self, split) -> None:
        reproducibility.seed_everything(self.seed, self.threads)
        arch = architectures.get("pointwise")
        self.model_ = architectures.build_autoencoder(arch, 1)
        training.compile_autoencoder(self.model_, arch)
        x = split.ts["train_values"][split.ts["train_y"] == 0].reshape(-1, 1)
        self.model_.fit(x, x, epochs=self.epochs, batch_size=self.batch_size, shuffle=True,
                        verbose=0)

    def point_scores(self, split, part: str) -> np.ndarray:
        x = split.ts[f"{part}_values"].reshape(-1, 1)
        return scoring.element_errors(self.model_, x)[:, 0]

    def describe(self) -> str:
        return f"seed 002's pointwise model, {self.epochs} epochs"


class Supervised(RowDetector):
    """A plain classifier given the same few labels as DevNet: logistic regression of the
    labelled anomalies (1) against every unlabelled row (0, though some are unmarked
    anomalies), each class weighted by its size. The score is the predicted log-odds of
    "anomaly". It answers the question a label-using model must face: does it beat a
    classifier that had the same labels?"""

    name = "supervised"
    detector_type = "few labels"

    def __init__(self, seed: int = 0, C: float = 1.0):
        self.seed = seed
        self.C = C

    def _fit(self, split) -> None:
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

        unlabelled, labelled = labelled_rows(split, "The supervised classifier")
        X = np.r_[unlabelled, labelled]
        y = np.r_[np.zeros(len(unlabelled), int), np.ones(len(labelled), int)]
        self.model_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000,
                                         random_state=self.seed).fit(X, y)
        self.labels_used_ = len(labelled)

    def row_scores(self, X):
        return self.model_.decision_function(X)

    def describe(self) -> str:
        used = f"{self.labels_used_} labelled anomalies" if self.fitted() else "the labelled anomalies"
        return f"logistic regression on {used} against the unlabelled rows"


REGISTRY = {cls.name: cls for cls in (PCAReconstruction, IsolationForestDetector, Mahalanobis,
                                      Pointwise, RollingZScore, RandomScore, Supervised, DevNet,
                                      MemAEDevNet)}


def names() -> list[str]:
    return list(REGISTRY)
