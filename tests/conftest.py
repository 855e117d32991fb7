import os

from helpers import cpu_level

# `make test` starts pytest at the kit's instruction-set level (helpers/cpu_level.py); a
# pytest started otherwise gets what can still be set in its process, before NumPy loads.
os.environ.update(cpu_level.environment())
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


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


def write_nab(root, n: int = 1200, events=((600, 660), (1000, 1060)), file: str | None = None,
              freq: str = "h", start: str = "2014-01-01"):
    """A small series in NAB's layout under ``root/nab``: values with a daily cycle,
    sampled every ``freq``, and labelled windows whose values run hot; its windows are
    added to the label file there (``file``: the default series' name unless given).
    Returns the CSV and label paths."""
    import json

    import pandas as pd

    from helpers.datasets import nab

    file = file or nab.DEFAULT_FILE
    t = pd.date_range(start, periods=n, freq=freq)
    rng = np.random.default_rng(0)
    per_day = pd.Timedelta("1D") / pd.Timedelta(t[1] - t[0])
    v = 70 + 3 * np.sin(np.arange(n) / per_day * 2 * np.pi) + rng.normal(0, 0.3, n)
    for a, b in events:
        v[a:b] += 6
    csv = root / "nab" / "data" / file
    csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "value": v.round(3)}).to_csv(csv, index=False)
    labels = root / "nab" / nab.LABELS
    labels.parent.mkdir(parents=True, exist_ok=True)
    windows = [[t[a].strftime("%Y-%m-%d %H:%M:%S.%f"), t[b - 1].strftime("%Y-%m-%d %H:%M:%S.%f")]
               for a, b in events]
    doc = json.loads(labels.read_text()) if labels.exists() else {}
    labels.write_text(json.dumps({**doc, file: windows}, indent=4))
    return csv, labels
