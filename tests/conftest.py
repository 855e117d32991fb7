import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def cfg(tmp_path):
    from helpers.params import configure

    return configure(dataset="synthetic", seed=1, epochs=3, run_dir=str(tmp_path / "run"))


@pytest.fixture
def toy_scores():
    """Normal scores around 1, anomalies around 3, on validation and test."""
    rng = np.random.default_rng(0)
    train = rng.normal(1, 0.2, 2000)
    y_val = np.r_[np.zeros(1000, int), np.ones(50, int)]
    val = np.r_[rng.normal(1, 0.2, 1000), rng.normal(3, 0.5, 50)]
    return train, val, y_val
