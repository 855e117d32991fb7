import numpy as np
import pytest

from helpers import pitfalls


def test_self_scoring_is_always_perfect():
    assert pitfalls.self_scored_f1(np.array([0, 1, 1, 0, 0])) == 1.0


def test_swapped_micro_precision_is_accuracy():
    y = np.array([0] * 90 + [1] * 10)
    pred = np.array([0] * 95 + [1] * 5)
    assert pitfalls.swapped_micro_precision(y, pred) == pytest.approx((pred == y).mean())


def test_threshold_on_test_is_optimistic():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(500, int), np.ones(20, int)]
    s = np.r_[rng.normal(0, 1, 500), rng.normal(1.5, 1, 20)]
    assert pitfalls.best_f1_on_test(y, s) >= pitfalls.metrics.evaluate(y, s, 2.0)["f1"]


def test_unreachable_share():
    assert pitfalls.unreachable_share(np.array([-1.0, 0.5, 2.0, 0.2])) == pytest.approx(0.5)


def test_table_puts_each_pitfall_next_to_the_honest_figure():
    y = np.r_[np.zeros(95, int), np.ones(5, int)]
    s = np.r_[np.zeros(95), np.ones(5)] + np.linspace(0, 0.1, 100)
    t = pitfalls.table(y, s, threshold=0.5)
    assert len(t) == 5
    assert {"what it reports", "honest figure (anomaly class)", "why it misleads"} <= set(t.columns)
    assert t["pitfall"].iloc[0] == "Accuracy on data that is 95% normal"
    # time series add the event-level pitfall
    assert len(pitfalls.table(y, s, 0.5, groups=np.zeros(100, int))) == 6


def test_quantile_threshold_flags_one_percent_whatever_the_data():
    rng = np.random.default_rng(1)
    for scores in (rng.normal(size=5000), rng.exponential(size=5000)):
        assert pitfalls.quantile_flags(scores).mean() == pytest.approx(0.01, abs=0.001)


def test_random_flags_find_long_events():
    """On long labelled windows a random 1% of flags reaches a high point-adjusted F1."""
    y = np.zeros(5000, int)
    y[1000:1500] = 1
    y[3000:3500] = 1
    got = pitfalls.random_event_figures(y, np.zeros(5000, int), seed=0)
    assert got["events_found"] == 2 and got["pa_f1"] > 0.9 and got["f1"] < 0.2
