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


def test_rows_record_the_settings_and_call_out_a_threshold_that_flags_everything():
    """Where anomalies fill a fifth of the validation set and the scores carry no signal,
    the F1-only rule can flag every row; the row's warning says so, and the alarm budget
    stays selective. The seed and the dataset's options are recorded."""
    rng = np.random.default_rng(1)
    y_val = np.r_[np.zeros(400, int), np.ones(100, int)]
    y_test = np.r_[np.zeros(400, int), np.ones(100, int)]
    split = Split(np.zeros((5, 2)), np.zeros((500, 2)), y_val, np.zeros((500, 2)), y_test, 0.2,
                  info={"source": "toy"})
    scores = {"train": rng.normal(0, 1, 500), "val": rng.normal(0, 1, 500), "test": rng.normal(0, 1, 500)}
    det = detectors.build("random")
    det.fit_seconds_ = 0.5
    df = summary.frame(summary.detector_rows("toy", det, scores, split, chosen="best_f1", seed=7,
                                             options={"window": 48, "fractions": (0.5, 0.25, 0.25)}))
    assert (df["seed"] == 7).all() and (df["options"] == '{"fractions": [0.5, 0.25, 0.25], "window": 48}').all()
    row = df.set_index("threshold_method")
    assert row.loc["best_f1", "flagged_share"] > 0.9
    assert row.loc["best_f1", "warning"].startswith("val: flags 90%, 4.5x the anomaly share")
    assert "test: flags" in row.loc["best_f1", "warning"]
    assert row.loc["best_f1_budget", "flagged_share"] <= 0.2
    assert "flags" not in row.loc["best_f1_budget", "warning"]
    text = summary.warnings_text(df[df["chosen"]].set_index("model"))
    assert text.startswith("WARNING random (best_f1): val: flags")


def test_a_working_threshold_raises_no_warning(toy_scores):
    train, val, y_val = toy_scores
    inp = thresholds.ThresholdInputs(train, val, y_val, 0.01)
    table = thresholds.health({"good": inp}, "best_f1")
    assert table.loc["good", "problems"] == "" and table.loc["good", "F1"] > 0.9
    assert thresholds.verdict(table).startswith("Every detector's threshold")
    assert thresholds.problems(inp, -np.inf) == ["val: flags 100%, 100.0x the anomaly share"]
    reversed_ = thresholds.ThresholdInputs(train, np.r_[val[:1000], np.full(50, -5.0)], y_val, 0.01)
    assert thresholds.problems(reversed_, 10.0)[0].startswith("val: no threshold beats flagging every row")
