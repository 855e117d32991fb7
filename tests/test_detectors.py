"""The detector contract, as every autoencoder and baseline follows it."""
import numpy as np
import pytest

from helpers import architectures, baselines, detectors, reproducibility
from helpers.autoencoder import Autoencoder
from helpers.datasets.base import Split
from helpers.detector import NotFittedError


@pytest.fixture(autouse=True)
def tensorflow_set_up():
    reproducibility.seed_everything(0)  # threads are fixed before TensorFlow first runs


def _split():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 32)).astype("float32")  # as wide as kit_dense's tables
    X_val = np.r_[X[:40], X[:10] + 4]
    y_val = np.r_[np.zeros(40, int), np.ones(10, int)]
    return Split(X[100:], X_val, y_val, X_val, y_val, 0.2)


def test_every_registry_entry_builds_a_detector():
    names = detectors.names()
    assert len(names) == len(set(names)) and set(baselines.names()) <= set(names)
    assert set(names) - set(baselines.names()) == {
        n for n in architectures.names() if architectures.get(n).family != "point"}
    for name in detectors.names():
        det = detectors.build(name, seed=1)
        assert det.name == name and not det.fitted()
        expected = ("few labels" if name in ("supervised", "devnet", "memae_devnet") else
                    "baseline" if name in baselines.names() else "autoencoder")
        assert det.detector_type == expected


def test_an_autoencoder_stores_only_its_parameters_until_fitted():
    det = detectors.build("kit_dense", seed=3, epochs=2, batch_size=64)
    assert set(vars(det)) == set(det.get_params())
    assert det.get_params() == {"architecture": "kit_dense", "model": None, "epochs": 2,
                                "batch_size": 64, "patience": 10, "seed": 3, "threads": 2}
    with pytest.raises(NotFittedError):
        det.score_samples(_split(), "val")


def test_fit_score_save_and_load(cfg):
    from helpers.runstate import RunState

    split = _split()
    untrained = architectures.build_autoencoder(architectures.get("kit_dense"), 32)
    before = untrained.get_weights()
    det = detectors.build("kit_dense", model=untrained, seed=0, epochs=3, batch_size=32)
    assert det.fit(split) is det
    assert {"model_", "history_", "epochs_run_", "best_epoch_", "fit_seconds_"} <= set(vars(det))
    assert all(np.array_equal(a, b) for a, b in zip(before, untrained.get_weights()))  # a copy trained
    scores = det.score_samples(split, "val")
    assert scores.shape == (50,) and scores[40:].mean() > scores[:40].mean()
    assert len(det.score_samples(split, "train")) == len(split.X_train)
    state = RunState.start(cfg)
    det.save(state)
    again = Autoencoder.load(state, "kit_dense")
    np.testing.assert_array_equal(again.score_samples(split, "val"), scores)
    assert again.history_ == det.history_ and again.get_params()["epochs"] == 3
    assert repr(again) == ("Autoencoder(architecture='kit_dense', epochs=3, batch_size=32, "
                           "patience=10, seed=0, threads=2)")


def test_fitting_twice_gives_the_same_scores():
    split = _split()
    det = detectors.build("seed_simple", seed=4, epochs=2, batch_size=32)
    a = det.fit(split).score_samples(split, "val")
    b = det.fit(split).score_samples(split, "val")
    np.testing.assert_array_equal(a, b)
