import numpy as np
import pytest

from helpers import metrics


def test_evaluate_reports_the_anomaly_class():
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.9, 0.2, 0.8, 0.1])
    m = metrics.evaluate(y, s, threshold=0.5)
    # flagged: rows 6 (normal) and 8 (anomaly)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 1, 1, 7)
    assert m["precision"] == pytest.approx(0.5)
    assert m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(0.5)
    assert m["accuracy"] == pytest.approx(0.8)
    assert 0 <= m["pr_auc"] <= 1 and 0 <= m["roc_auc"] <= 1
    assert m["n_test"] == 10 and m["n_test_anomalies"] == 2


def test_threshold_is_inclusive():
    m = metrics.evaluate([0, 1], [0.2, 0.5], threshold=0.5)
    assert m["tp"] == 1 and m["fp"] == 0


def test_perfect_ranking():
    m = metrics.evaluate([0, 0, 1], [0.1, 0.2, 0.9], threshold=0.5)
    assert m["roc_auc"] == 1 and m["pr_auc"] == 1 and m["f1"] == 1


def test_bad_inputs_fail_clearly():
    with pytest.raises(ValueError, match="shape"):
        metrics.evaluate([0, 1], [0.1], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        metrics.evaluate([0, 1], [0.1, np.nan], 0.5)
    with pytest.raises(ValueError, match="0 \\(normal\\) or 1"):
        metrics.evaluate([0, 2], [0.1, 0.2], 0.5)


def test_majority_accuracy():
    assert metrics.majority_accuracy([0] * 99 + [1]) == pytest.approx(0.99)


def test_flagged_share_and_false_positives_per_thousand():
    import numpy as np

    from helpers import metrics

    y = np.r_[np.zeros(990, int), np.ones(10, int)]
    everything = metrics.evaluate(y, np.ones(1000), threshold=0.5)  # flags every point
    assert everything["flagged_share"] == 1.0 and everything["fp_per_1k"] == 990.0
    assert everything["recall"] == 1.0  # looks perfect on recall alone
    scores = np.r_[np.zeros(985), np.ones(5), np.ones(10)]  # 5 false alarms, every anomaly found
    some = metrics.evaluate(y, scores, threshold=0.5)
    assert some["flagged_share"] == pytest.approx(0.015) and some["fp_per_1k"] == pytest.approx(5.0)
