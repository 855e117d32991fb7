import numpy as np
import pytest

from helpers import datasets, preprocessing
from helpers.datasets.base import RawData, split_tabular


@pytest.fixture(scope="module")
def synthetic():
    raw = datasets.load("synthetic", seed=42)
    return raw, datasets.split("synthetic", raw, seed=42)


def test_synthetic_matches_seed_001(synthetic):
    raw, split = synthetic
    assert raw.X.shape == (100_000, 32)
    assert raw.y.sum() == 997  # make_classification with the seed's arguments
    # the seed's 80/20 split with random_state=42: 20,000 test rows, 197 anomalies
    assert len(split.y_test) == 20_000 and split.y_test.sum() == 197
    assert split.info["training part anomalies"] == 800


def test_generation_is_deterministic():
    a, b = datasets.load("synthetic", seed=1), datasets.load("synthetic", seed=2)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)


def test_split_rules(synthetic):
    raw, split = synthetic
    # train has normal rows only; validation holds the training part's anomalies
    train_rows = {r.tobytes() for r in split.X_train}
    anomalies = {r.tobytes() for r in raw.X[raw.y == 1]}
    assert not train_rows & anomalies
    assert split.y_val.sum() == 800
    # no row is in two sets
    val_rows = {r.tobytes() for r in split.X_val}
    test_rows = {r.tobytes() for r in split.X_test}
    assert not train_rows & val_rows and not train_rows & test_rows and not val_rows & test_rows
    assert len(train_rows) + len(val_rows) + len(test_rows) == 100_000
    assert split.train_anomaly_share == pytest.approx(0.01)


def test_test_set_does_not_depend_on_the_run_seed():
    raw = datasets.load("synthetic", seed=0)
    a, b = datasets.split("synthetic", raw, seed=1), datasets.split("synthetic", raw, seed=2)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_train, b.X_train)


def test_split_tabular_on_a_small_table():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.r_[np.zeros(180, int), np.ones(20, int)]
    split = split_tabular(RawData(X, y, ["a", "b", "c"], "toy"), seed=0)
    assert len(split.X_train) + len(split.X_val) + len(split.X_test) == 200
    assert split.y_val.sum() + split.y_test.sum() == 20
    counts = split.counts()
    assert counts.loc["train (normal only)", "anomalies"] == 0


def test_scaler_is_fitted_on_training_rows_only(synthetic):
    _, split = synthetic
    scaler = preprocessing.fit_scaler(split.X_train)
    np.testing.assert_allclose(scaler.mean_, split.X_train.mean(axis=0), rtol=1e-4, atol=1e-4)
    scaled = preprocessing.scale_split(split, scaler)
    np.testing.assert_allclose(scaled.X_train.mean(axis=0), 0, atol=1e-3)
    assert scaled.X_test.dtype == np.float32


def test_unknown_dataset_and_scaler():
    from helpers.checks import ParameterError

    with pytest.raises(ParameterError, match="'synthetic'"):
        datasets.load("nope", seed=0)
    with pytest.raises(ParameterError, match="'standard'"):
        preprocessing.fit_scaler(np.zeros((3, 2)), "robust")


def test_the_verdict_names_every_baseline_that_wins():
    import pandas as pd

    table = pd.DataFrame({"roc_auc": [0.75, 0.76, 0.52, 0.74], "pr_auc": [0.51, 0.47, 0.01, 0.52],
                          "f1": [0.65, 0.55, 0.01, 0.66]},
                         index=["kit_dense", "pca", "isolation_forest", "mahalanobis"])
    text = datasets.verdict("synthetic", "kit_dense", table)
    assert "The course bar (pr_auc >= 0.5 and f1 >= 0.45) is met by kit_dense." in text
    assert "On test ROC-AUC a baseline beats kit_dense (0.750): pca (0.760)." in text
    assert "On test PR-AUC a baseline beats kit_dense (0.510): mahalanobis (0.520)." in text
    assert "isolation_forest" not in text
    clear = table.assign(roc_auc=[0.9, 0.5, 0.5, 0.5], pr_auc=[0.4, 0.1, 0.1, 0.1])
    text = datasets.verdict("synthetic", "kit_dense", clear)
    assert "kit_dense beats every baseline of this run (pca, isolation_forest, mahalanobis)" in text
    assert "is NOT met" in text  # PR-AUC 0.4 is below the bar


def test_the_verdict_says_which_comparisons_are_within_noise():
    import pandas as pd

    table = pd.DataFrame({"roc_auc": [0.75, 0.76, 0.52, 0.74], "pr_auc": [0.51, 0.47, 0.01, 0.52],
                          "f1": [0.65, 0.55, 0.01, 0.66]},
                         index=["kit_dense", "pca", "isolation_forest", "mahalanobis"])
    gaps = {("pca", "roc_auc"): (-0.01, -0.03, 0.01), ("pca", "pr_auc"): (0.04, 0.01, 0.07),
            ("mahalanobis", "roc_auc"): (0.01, -0.01, 0.03), ("mahalanobis", "pr_auc"): (-0.01, -0.02, -0.001),
            ("isolation_forest", "roc_auc"): (0.2, 0.1, 0.3), ("isolation_forest", "pr_auc"): (0.5, 0.4, 0.6)}
    text = datasets.verdict("synthetic", "kit_dense", table, gaps)
    assert ("On test ROC-AUC a baseline beats kit_dense (0.750): pca (0.760; within noise: 95% "
            "interval of the gap -0.030 to +0.010).") in text
    assert "mahalanobis (0.520; beyond noise: 95% interval of the gap -0.020 to -0.001)" in text
    clear = table.assign(roc_auc=[0.9, 0.5, 0.5, 0.5], pr_auc=[0.6, 0.1, 0.1, 0.1])
    text = datasets.verdict("synthetic", "kit_dense", clear, gaps)
    assert "on test ROC-AUC and PR-AUC; within noise against pca on ROC-AUC, mahalanobis on ROC-AUC." in text
    close = {k: (0.01, -0.01, 0.02) for k in gaps}
    assert "but every one of these gaps is within noise." in datasets.verdict("synthetic", "kit_dense", clear, close)
    intervals = pd.DataFrame({"pr_auc_lo": [0.45], "pr_auc_hi": [0.7]}, index=["kit_dense"])
    text = datasets.verdict("synthetic", "kit_dense", clear, gaps, intervals)
    assert "PR-AUC 0.600 against the bar's 0.5: 95% interval 0.450 to 0.700, within noise of it." in text


def test_a_series_verdict_never_claims_a_win_over_a_baseline_ahead_of_it():
    import pandas as pd

    table = pd.DataFrame({"roc_auc": [0.640, 0.6401, 0.5, 0.5, 0.6], "pr_auc": [0.34, 0.28, 0.17, 0.1, 0.2]},
                         index=["ts_kit", "pointwise", "rolling_zscore", "random", "pca"])
    gaps = {(b, m): (0.0, -0.1, 0.1) for b in table.index[1:] for m in ("roc_auc", "pr_auc")}
    text = datasets.verdict("nab", "ts_kit", table, gaps)
    assert "is NOT met" in text and "beats every baseline" not in text
    assert "ROC-AUC 0.640 against pointwise's 0.640 (within noise" in text
    assert "a baseline beats ts_kit" not in text  # pointwise's line is the bar's, not repeated


def test_no_bar_no_bar_verdict(monkeypatch):
    import dataclasses

    import pandas as pd

    plain = dataclasses.replace(datasets.spec("synthetic"), bar={}, bar_beats=())
    monkeypatch.setitem(datasets.REGISTRY, "synthetic", plain)
    table = pd.DataFrame({"roc_auc": [0.9, 0.5, 0.5, 0.5], "pr_auc": [0.9, 0.1, 0.1, 0.1]},
                         index=["kit_dense", "pca", "isolation_forest", "mahalanobis"])
    assert "course bar" not in datasets.verdict("synthetic", "kit_dense", table)
