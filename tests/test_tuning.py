import numpy as np
import pandas as pd
import pytest

from helpers import architectures, tuning
from helpers.datasets.base import Split


def test_combinations():
    grid = {"learning_rate": (1e-3, 1e-2), "weight_decay": (0, 1e-4), "epochs": (2,), "batch_size": (32,)}
    assert len(tuning.combinations(grid)) == 4
    assert tuning.combinations(grid, quick=True) == [
        {"learning_rate": 1e-3, "weight_decay": 0, "epochs": 2, "batch_size": 32}]
    with pytest.raises(ValueError, match="batch_size"):
        tuning.combinations({"learning_rate": (1,), "weight_decay": (0,), "epochs": (1,)})


def test_grid_runs_on_validation_data_only():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8)).astype("float32")
    outl = (rng.normal(size=(30, 8)) * 3).astype("float32")
    split = Split(X[:200], np.r_[X[200:], outl], np.r_[np.zeros(100, int), np.ones(30, int)],
                  np.full((5, 8), np.nan, "float32"), np.zeros(5, int), 0.1)  # test rows unusable
    grid = {"learning_rate": (1e-2,), "weight_decay": (0.0,), "epochs": (2,), "batch_size": (64,)}
    architectures.REGISTRY["tiny_test"] = architectures.Architecture("tiny_test", "test", (6, 3), (6,))
    try:
        res = tuning.run(["tiny_test"], grid, split, seed=0, max_rows=100)
    finally:
        del architectures.REGISTRY["tiny_test"]
    assert len(res) == 1 and 0 <= res.loc[0, "val ROC-AUC"] <= 1
    assert res.loc[0, "gap"] == pytest.approx(res.loc[0, "val MSE anomalies"] - res.loc[0, "val MSE normal"])
    assert "lowest normal MSE" in tuning.rankings(res)
    assert isinstance(tuning.verdict(res), str)
    assert res.loc[0, tuning.NEAR_BEST] and tuning.SCORES not in res  # the best is near itself


def test_settings_within_the_noise_of_the_best_are_marked():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(400, int), np.ones(40, int)]
    split = Split(np.zeros((5, 2)), np.zeros((440, 2)), y, np.zeros((5, 2)), np.zeros(5, int), 0.1)
    good = np.r_[rng.normal(0, 1, 400), rng.normal(2, 1, 40)]
    res = pd.DataFrame({"val ROC-AUC": [0.9, 0.89, 0.5],
                        tuning.SCORES: [good, good + rng.normal(0, 0.05, 440), rng.normal(0, 1, 440)]})
    assert tuning.near_best(res, split) == [True, True, False]


def test_the_verdict_says_when_the_gap_is_within_noise():
    res = pd.DataFrame([
        {"model": "a", "val MSE normal": 0.01, "val ROC-AUC": 0.88, tuning.NEAR_BEST: True},
        {"model": "b", "val MSE normal": 0.05, "val ROC-AUC": 0.9, tuning.NEAR_BEST: True},
    ])
    assert "a gap within noise" in tuning.verdict(res)
    assert "beyond noise" in tuning.verdict(res.assign(**{tuning.NEAR_BEST: [False, True]}))


def test_verdict_says_when_goals_disagree():
    res = pd.DataFrame([
        {"model": "a", "val MSE normal": 0.01, "val ROC-AUC": 0.6},
        {"model": "b", "val MSE normal": 0.05, "val ROC-AUC": 0.9},
    ])
    assert "weaker detector" in tuning.verdict(res)


def test_parallel_grid_gives_the_same_results():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(160, 32)).astype("float32")  # seed_simple's width
    split = Split(X[:100], np.r_[X[100:], X[:10] * 4], np.r_[np.zeros(60, int), np.ones(10, int)],
                  X[:5], np.zeros(5, int), 0.1)
    grid = {"learning_rate": (1e-3, 1e-2), "weight_decay": (0.0,), "epochs": (2,), "batch_size": (32,)}
    one = tuning.run(["seed_simple"], grid, split, seed=0, jobs=1).drop(columns="seconds")
    two = tuning.run(["seed_simple"], grid, split, seed=0, jobs=2).drop(columns="seconds")
    pd.testing.assert_frame_equal(one, two)


def test_models_train_the_same_in_parallel_and_alone():
    from helpers import detectors

    rng = np.random.default_rng(2)
    X = rng.normal(size=(150, 32)).astype("float32")  # the width of these models' tables
    split = Split(X[:100], X[100:], np.zeros(50, int), X[:5], np.zeros(5, int), 0.1)

    def untrained():
        from helpers import reproducibility

        reproducibility.seed_everything(0)
        return {name: architectures.build_autoencoder(architectures.get(name), 32)
                for name in ("seed_simple", "kit_dense")}

    def build(models):
        return {name: detectors.build(name, model=m, seed=0, epochs=3, batch_size=32)
                for name, m in models.items()}

    models = untrained()
    alone = detectors.fit_all(build(models), split, jobs=1)
    both = detectors.fit_all(build(untrained()), split, jobs=2)
    only_kit = detectors.fit_all(build({"kit_dense": untrained()["kit_dense"]}), split)
    for name in alone:
        np.testing.assert_array_equal(alone[name].score_samples(split, "val"),
                                      both[name].score_samples(split, "val"))
        assert alone[name].history_ == both[name].history_
    np.testing.assert_array_equal(alone["kit_dense"].score_samples(split, "val"),
                                  only_kit["kit_dense"].score_samples(split, "val"))
    # fit trains a copy: the untrained model it was given is left as it was
    np.testing.assert_array_equal(models["kit_dense"].predict(X, verbose=0),
                                  untrained()["kit_dense"].predict(X, verbose=0))


def test_starmap_keeps_the_order_of_its_calls():
    from helpers.parallel import starmap

    calls = [(2, k) for k in range(6)]
    assert starmap(pow, calls, jobs=2) == starmap(pow, calls, jobs=1) == [1, 2, 4, 8, 16, 32]
