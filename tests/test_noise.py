"""Bootstrap intervals and gaps that are, or are not, larger than the noise."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from helpers import noise


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(900, int), np.ones(100, int)]
    good = np.r_[rng.normal(0, 1, 900), rng.normal(2, 1, 100)]
    return y, good, rng


def test_stratified_draws_keep_each_class_count(data):
    y, _, _ = data
    for idx in noise.draws(y, n=20):
        assert len(idx) == len(y) and y[idx].sum() == y.sum()


def test_block_draws_are_runs_of_consecutive_points_holding_both_classes():
    y = np.zeros(1000, int)
    y[500:530] = 1
    assert noise.block_length(y, groups=np.zeros(1000)) == 60
    assert noise.block_length(y) == 1  # rows without an order
    assert noise.block_length(y[400:600], groups=np.zeros(200)) == 40  # a fifth of a short part
    with pytest.raises(ValueError, match="needs anomalies and normal rows"):
        next(noise.draws(np.zeros(10, int)))
    for idx in noise.draws(y, n=30, block=60):
        assert len(idx) == len(y) and 0 < y[idx].sum() < len(y)
        assert (np.diff(idx[:60]) == 1).all()


def test_the_interval_holds_the_figure_and_narrows_with_more_rows(data):
    y, good, rng = data
    table = noise.intervals(y, {"good": good}, n=200)
    row = table.loc["good"]
    assert row.roc_auc == pytest.approx(roc_auc_score(y, good))
    assert row.roc_auc_lo < row.roc_auc < row.roc_auc_hi and row.pr_auc_lo < row.pr_auc < row.pr_auc_hi
    big_y = np.r_[np.zeros(9000, int), np.ones(1000, int)]
    big = np.r_[rng.normal(0, 1, 9000), rng.normal(2, 1, 1000)]
    wide = noise.intervals(big_y, {"good": big}, n=200).loc["good"]
    assert wide.roc_auc_hi - wide.roc_auc_lo < row.roc_auc_hi - row.roc_auc_lo


def test_a_clear_gap_is_beyond_noise_and_a_copy_with_jitter_is_within(data):
    y, good, rng = data
    chance = rng.normal(0, 1, len(y))
    g, lo, hi = noise.gap(y, good, chance, "roc_auc", n=200)
    assert g > 0.3 and noise.beyond_noise(lo, hi) and "beyond noise" in noise.gap_text(lo, hi)
    jitter = good + rng.normal(0, 0.01, len(y))
    g, lo, hi = noise.gap(y, good, jitter, "pr_auc", n=200)
    assert lo <= g <= hi and not noise.beyond_noise(lo, hi)
    assert noise.gap_text(lo, hi).startswith("within noise: 95% interval of the gap")


def test_the_weighted_figures_are_scikit_learns_also_with_ties_and_repeats(data):
    from sklearn.metrics import average_precision_score

    y, good, rng = data
    tied = np.round(good, 1)  # many equal scores
    for s in (good, tied):
        once = noise.weighted_figures(y, s, np.ones(len(y)))
        assert once["roc_auc"][0] == pytest.approx(roc_auc_score(y, s), abs=1e-9)
        assert once["pr_auc"][0] == pytest.approx(average_precision_score(y, s), abs=1e-9)
        idx = next(noise.draws(y, n=1, seed=5))
        w = np.bincount(idx, minlength=len(y))[None, :].astype(float)
        again = noise.weighted_figures(y, s, w)
        assert again["roc_auc"][0] == pytest.approx(roc_auc_score(y[idx], s[idx]), abs=1e-9)
        assert again["pr_auc"][0] == pytest.approx(average_precision_score(y[idx], s[idx]), abs=1e-9)


def test_the_same_seed_gives_the_same_interval(data):
    y, good, _ = data
    assert noise.intervals(y, {"a": good}, n=50, seed=3).equals(noise.intervals(y, {"a": good}, n=50, seed=3))


def test_the_draws_as_used_match_scikit_learn_draw_by_draw(data):
    from sklearn.metrics import average_precision_score

    y, good, _ = data
    for block in (1, 50):
        boot = noise.bootstrapped(y, {"good": good}, n=60, seed=2, block=block)
        for k, idx in enumerate(noise.draws(y, n=60, seed=2, block=block)):
            assert boot["good"]["roc_auc"][k] == pytest.approx(roc_auc_score(y[idx], good[idx]), abs=1e-12)
            assert boot["good"]["pr_auc"][k] == pytest.approx(average_precision_score(y[idx], good[idx]),
                                                              abs=1e-12)
