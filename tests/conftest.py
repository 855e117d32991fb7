import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    from helpers.params import configure

    monkeypatch.setenv("ANOMALY_KIT_BUILD", str(tmp_path / "build"))  # run folders live under build/
    return configure(dataset="synthetic", seed=1, epochs=3, run_dir=str(tmp_path / "build" / "run"))


@pytest.fixture
def toy_scores():
    """Normal scores around 1, anomalies around 3, on validation and test."""
    rng = np.random.default_rng(0)
    train = rng.normal(1, 0.2, 2000)
    y_val = np.r_[np.zeros(1000, int), np.ones(50, int)]
    val = np.r_[rng.normal(1, 0.2, 1000), rng.normal(3, 0.5, 50)]
    return train, val, y_val


def write_nab(root, n: int = 1200, events=((600, 660), (1000, 1060))):
    """A small series in NAB's layout under ``root/nab``: hourly values with two
    labelled windows whose values run hot; returns the CSV and label paths."""
    import json

    import pandas as pd

    from helpers.datasets import nab

    t = pd.date_range("2014-01-01", periods=n, freq="h")
    rng = np.random.default_rng(0)
    v = 70 + 3 * np.sin(np.arange(n) / 24 * 2 * np.pi) + rng.normal(0, 0.3, n)
    for a, b in events:
        v[a:b] += 6
    csv = root / "nab" / "data" / nab.DEFAULT_FILE
    csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "value": v.round(3)}).to_csv(csv, index=False)
    labels = root / "nab" / nab.LABELS
    labels.parent.mkdir(parents=True, exist_ok=True)
    windows = [[t[a].strftime("%Y-%m-%d %H:%M:%S.%f"), t[b - 1].strftime("%Y-%m-%d %H:%M:%S.%f")]
               for a, b in events]
    labels.write_text(json.dumps({nab.DEFAULT_FILE: windows}, indent=4))
    return csv, labels
