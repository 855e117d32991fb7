import numpy as np
import pytest

from helpers import baselines, detectors
from helpers.checks import ParameterError
from helpers.datasets.base import Split
from helpers.detector import NotFittedError

ROW_BASELINES = ["pca", "isolation_forest", "mahalanobis"]


def _outliers_split():
    rng = np.random.default_rng(0)
    cov = np.diag([4.0, 1.0, 0.25, 0.1])
    X = rng.multivariate_normal(np.zeros(4), cov, 2000)
    outliers = rng.multivariate_normal(np.zeros(4), cov, 20) + np.array([0, 0, 3, 3])
    X_val = np.r_[X[:200], outliers]
    y_val = np.r_[np.zeros(200, int), np.ones(20, int)]
    return Split(X, X_val, y_val, X_val, y_val, 0.05)


@pytest.mark.parametrize("name", ROW_BASELINES)
def test_baselines_rank_outliers_above_normal_rows(name):
    split = _outliers_split()
    det = detectors.build(name, seed=0)
    assert det.fit(split) is det and det.fit_seconds_ >= 0
    val = det.score_samples(split, "val")
    train = det.score_samples(split, "train")
    assert val.shape == split.y_val.shape and len(train) == len(split.X_train)
    assert val[split.y_val == 1].mean() > np.percentile(train, 90)
    assert np.allclose(val, det.row_scores(split.X_val))  # one score per row, as the detector gives it
    assert isinstance(det.describe(), str)


@pytest.mark.parametrize("name", baselines.names())
def test_every_baseline_keeps_only_parameters_until_fitted(name):
    det = detectors.build(name, seed=3)
    assert det.detector_type in ("baseline", "few labels") and det.name == name
    assert det.get_params()["seed"] == 3
    assert not [k for k in vars(det) if k.endswith("_")]  # nothing learnt yet
    assert set(vars(det)) == set(det.get_params())  # __init__ stores its parameters, and only those
    with pytest.raises(NotFittedError, match="fit"):
        det.score_samples(_outliers_split(), "val")


def test_fitting_sets_attributes_with_a_trailing_underscore():
    det = detectors.build("pca", seed=0).fit(_outliers_split())
    assert {"pca_", "fit_seconds_"} <= set(vars(det))
    assert repr(det) == "PCAReconstruction(variance=0.9, seed=0)"


def test_unknown_detector():
    with pytest.raises(ParameterError, match="'pca'"):
        detectors.build("svm")
