import numpy as np
import pytest

from helpers import baselines
from helpers.params import ParameterError


@pytest.mark.parametrize("name", baselines.names())
def test_baselines_rank_outliers_above_normal_rows(name):
    rng = np.random.default_rng(0)
    cov = np.diag([4.0, 1.0, 0.25, 0.1])
    X = rng.multivariate_normal(np.zeros(4), cov, 2000)
    outliers = rng.multivariate_normal(np.zeros(4), cov, 20) + np.array([0, 0, 3, 3])
    det, seconds = baselines.fit(name, X, seed=0)
    assert seconds >= 0
    assert det.score(outliers).mean() > np.percentile(det.score(X), 90)
    assert isinstance(det.describe(), str)


def test_unknown_baseline():
    with pytest.raises(ParameterError, match="'pca'"):
        baselines.fit("svm", np.zeros((5, 2)), seed=0)
