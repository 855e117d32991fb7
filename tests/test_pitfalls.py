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
    assert len(t) == 4
    assert {"what it reports", "honest figure (anomaly class)", "why it misleads"} <= set(t.columns)
