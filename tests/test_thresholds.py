import numpy as np
import pytest

from helpers import thresholds
from helpers.thresholds import ThresholdInputs, prevalence_weights


def test_prevalence_weights_give_the_requested_share():
    y = np.r_[np.zeros(950, int), np.ones(50, int)]
    w = prevalence_weights(y, 0.01)
    assert w[y == 1].sum() / w.sum() == pytest.approx(0.01)
    assert (w[y == 0] == 1).all()


def test_prevalence_weights_need_both_classes():
    with pytest.raises(ValueError, match="both"):
        prevalence_weights(np.zeros(5, int), 0.01)


def test_every_method_separates_clear_anomalies(toy_scores):
    train, val, y_val = toy_scores
    inp = ThresholdInputs(train, val, y_val, anomaly_share=0.01)
    values = thresholds.compute(inp)
    assert set(values) == set(thresholds.names())
    assert values["max_train"] == pytest.approx(train.max())
    assert values["mean_3std"] == pytest.approx(train.mean() + 3 * train.std())
    assert values["percentile_98"] == pytest.approx(np.percentile(val, 98))
    assert values["contamination"] == pytest.approx(np.quantile(train, 0.99))
    for name in ("best_f1", "closest_to_corner"):
        # between the normal hump (~1) and the anomalies (~3)
        assert 1.3 < values[name] < 2.6, name


def test_curve_methods_use_validation_only(toy_scores):
    """Changing the training scores must not move the curve-based thresholds."""
    train, val, y_val = toy_scores
    a = thresholds.compute(ThresholdInputs(train, val, y_val, 0.01), ["best_f1", "closest_to_corner"])
    b = thresholds.compute(ThresholdInputs(train * 10, val, y_val, 0.01), ["best_f1", "closest_to_corner"])
    assert a == b


def test_unknown_method():
    from helpers.checks import ParameterError

    with pytest.raises(ParameterError, match="'best_f1'"):
        thresholds.compute(ThresholdInputs(np.ones(3), np.ones(3), np.array([0, 0, 1]), 0.1), ["bogus"])


def test_validation_figures(toy_scores):
    train, val, y_val = toy_scores
    inp = ThresholdInputs(train, val, y_val, anomaly_share=0.01)
    clear = thresholds.validation_figures(inp, 2.0)
    assert clear["recall"] > 0.9 and clear["precision"] > 0.9
    everything = thresholds.validation_figures(inp, -1.0)
    assert everything["recall"] == 1 and everything["flagged"] == 1
    # weighted to a 1% share, flagging every row gives precision 0.01
    assert everything["precision"] == pytest.approx(0.01)


def test_high_recall_catches_the_target_share(toy_scores):
    train, val, y_val = toy_scores
    inp = ThresholdInputs(train, val, y_val, anomaly_share=0.05)
    thr = thresholds.high_recall(inp)
    assert (val[y_val == 1] >= thr).mean() >= 0.95
    assert thr >= thresholds.high_recall(inp, target=1.0)


def test_the_alarm_budget_keeps_a_threshold_selective(toy_scores):
    train, val, y_val = toy_scores
    share = 0.05
    inp = ThresholdInputs(train, val, y_val, anomaly_share=share)
    for budget in (0.25, 0.5, 1.0):
        thr = thresholds.best_f1_budget(inp, budget)
        assert thresholds.flagged_share(inp, thr) <= budget * share + 1e-12
    # with room to spare it is plain best F1
    assert thresholds.best_f1_budget(inp, 100) == thresholds.best_f1(inp)
    assert thresholds.flag_all_f1(inp) == pytest.approx(2 * share / (1 + share))
    assert thresholds.flagged_share(inp, -np.inf) == pytest.approx(1.0)
