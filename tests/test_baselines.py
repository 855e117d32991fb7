import numpy as np
import pytest

from helpers import baselines
from helpers.datasets.base import Split
from helpers.params import ParameterError

ROW_BASELINES = ["pca", "isolation_forest", "mahalanobis"]


@pytest.mark.parametrize("name", ROW_BASELINES)
def test_baselines_rank_outliers_above_normal_rows(name):
    rng = np.random.default_rng(0)
    cov = np.diag([4.0, 1.0, 0.25, 0.1])
    X = rng.multivariate_normal(np.zeros(4), cov, 2000)
    outliers = rng.multivariate_normal(np.zeros(4), cov, 20) + np.array([0, 0, 3, 3])
    X_val = np.r_[X[:200], outliers]
    y_val = np.r_[np.zeros(200, int), np.ones(20, int)]
    split = Split(X, X_val, y_val, X_val, y_val, 0.05)
    det, seconds = baselines.fit(name, split, seed=0)
    assert seconds >= 0
    val = det.scores(split, "val")
    assert val.shape == y_val.shape and len(det.scores(split, "train")) == len(X)
    assert val[y_val == 1].mean() > np.percentile(det.scores(split, "train"), 90)
    assert np.allclose(val, det.score(X_val))  # one score per row, as the detector gives it
    assert isinstance(det.describe(), str)


def test_unknown_baseline():
    split = Split(np.zeros((5, 2)), np.zeros((2, 2)), np.array([0, 1]), np.zeros((2, 2)),
                  np.array([0, 1]), 0.5)
    with pytest.raises(ParameterError, match="'pca'"):
        baselines.fit("svm", split, seed=0)
