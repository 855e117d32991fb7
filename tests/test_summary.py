import numpy as np
import pytest

from helpers import architectures, detectors, summary, thresholds, training
from helpers.datasets.base import Split


def test_detector_rows_cover_every_threshold_method():
    rng = np.random.default_rng(0)
    y_val = np.r_[np.zeros(200, int), np.ones(20, int)]
    y_test = np.r_[np.zeros(300, int), np.ones(10, int)]
    split = Split(np.zeros((5, 2)), np.zeros((220, 2)), y_val, np.zeros((310, 2)), y_test, 0.05,
                  info={"source": "toy"})
    val = np.r_[rng.normal(0, 1, 200), rng.normal(3, 1, 20)]
    test = np.r_[rng.normal(0, 1, 300), rng.normal(3, 1, 10)]
    det = detectors.build("random")
    det.fit_seconds_ = 1.234  # stands in for a fitted detector: only its name, type and time are read
    scores = {"train": rng.normal(0, 1, 500), "val": val, "test": test}
    df = summary.frame(summary.detector_rows("toy", det, scores, split, chosen="best_f1"))
    assert (df["model"] == "random").all() and (df["kind"] == "baseline").all()
    assert list(df["threshold_method"]) == thresholds.names()
    assert df["chosen"].sum() == 1 and df.loc[df["chosen"], "threshold_method"].item() == "best_f1"
    assert (df["data_source"] == "toy").all() and (df["fit_seconds"] == 1.23).all()
    assert df["val_roc_auc"].iloc[0] > 0.9 and (df["n_test"] == 310).all()


def test_epochs_for_caps_slow_models():
    assert training.epochs_for(architectures.get("mnist_conv"), 80) == 15
    assert training.epochs_for(architectures.get("mnist_conv"), 5) == 5
    assert training.epochs_for(architectures.get("kit_dense"), 60) == 60
