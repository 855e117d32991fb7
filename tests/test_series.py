"""Time series: the Yahoo and NAB layouts, the generator, windows and the chronological split."""
import json

import numpy as np
import pandas as pd
import pytest

from helpers import datasets, detectors, events, windows
from helpers.datasets import nab, yahoo
from helpers.datasets.series import SeriesSplit, split_series
from helpers.checks import ParameterError


# ------------------------------------------------------------------ windows
def test_windows_stay_inside_one_series():
    groups = np.r_[np.zeros(10, int), np.ones(5, int), np.full(2, 2)]
    starts = windows.starts(groups, 4)
    assert list(starts) == [0, 1, 2, 3, 4, 5, 6, 10, 11]  # series 2 is too short
    assert list(windows.starts(groups, 4, stride=3)) == [0, 3, 6, 10]
    X = windows.make(np.arange(15.0), starts, 4)
    assert X.shape == (9, 4) and list(X[-1]) == [11, 12, 13, 14]


def test_window_errors_map_to_the_points_they_cover():
    starts = np.array([0, 1, 2])  # windows of 3 over 5 points
    errors = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0], [100.0, 200.0, 300.0]])
    points = windows.to_points(errors, starts, 6)
    # point 2 is covered by all three windows, at positions 2, 1 and 0
    assert points[2] == pytest.approx((3 + 20 + 100) / 3)
    assert points[0] == 1 and points[4] == 300 and np.isnan(points[5])
    with pytest.raises(ValueError, match="3 window errors for 2 windows"):
        windows.to_points(errors, starts[:2], 5)


# ------------------------------------------------------------------ events
def test_event_scores_by_hand():
    y = np.array([0, 1, 1, 1, 0, 0, 0, 1, 1, 0])
    pred = np.array([0, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    assert events.runs(y) == [(1, 4), (7, 9)]
    got = events.scores(y, pred)
    assert got["events"] == 2 and got["event_recall"] == 0.5
    assert got["false_alarms_per_1k"] == pytest.approx(100.0)  # one alarm run outside events, 10 points
    # point-adjusted: the whole first event counts as found -> tp 3, fp 1, fn 2
    assert got["pa_f1"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))


def test_events_do_not_cross_series():
    y = np.array([1, 1, 1, 1])
    assert events.runs(y, groups=np.array([0, 0, 1, 1])) == [(0, 2), (2, 4)]


# ------------------------------------------------------------------ yahoo
def test_generator_is_deterministic_with_the_a1_share(tmp_path):
    a = yahoo.generate(tmp_path / "a", data_seed=3, n_series=67)
    b = yahoo.generate(tmp_path / "b", data_seed=3, n_series=4)
    files_a = yahoo.files(a, "A1")
    assert len(files_a) == 67 and files_a[1].name == "real_2.csv"
    for i in range(1, 5):
        name = f"A1Benchmark/real_{i}.csv"
        assert (a / name).read_bytes() == (b / name).read_bytes()
    df = yahoo.read_benchmark(a, "A1")
    assert 1.4 < 100 * df["is_anomaly"].mean() < 2.4  # A1: 1.76%
    lengths = df.groupby("series").size()
    assert lengths.between(1380, 1461).all()
    other = yahoo.read_benchmark(yahoo.generate(tmp_path / "c", data_seed=4, n_series=1), "A1")
    assert not np.array_equal(other["value"], df[df["series"] == "real_1"]["value"])


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_reads_both_yahoo_layouts(tmp_path):
    _write(tmp_path / "A1Benchmark" / "real_2.csv", "timestamp,value,is_anomaly\n1,5.0,0\n2,9.0,1\n")
    _write(tmp_path / "A1Benchmark" / "real_10.csv", "timestamp,value,is_anomaly\n1,1.0,0\n")
    _write(tmp_path / "A3Benchmark" / "A3Benchmark-TS1.csv",
           "timestamps,value,anomaly,changepoint,trend,noise,seasonality1,seasonality2,seasonality3\n"
           "1416726000,13.9,0,0,12.0,0.5,0.2,0.1,0.0\n1416729600,40.1,1,0,12.1,0.4,0.3,0.1,0.0\n")
    a1 = yahoo.read_benchmark(tmp_path, "A1")
    assert list(a1.columns) == ["series", "timestamp", "value", "is_anomaly"]
    assert list(a1["series"].unique()) == ["real_2", "real_10"]  # numeric, not text, order
    a3 = yahoo.read_benchmark(tmp_path, "A3")
    assert list(a3["is_anomaly"]) == [0, 1] and a3["value"].iloc[1] == 40.1
    with pytest.raises(FileNotFoundError, match="A2Benchmark"):
        yahoo.read_benchmark(tmp_path, "A2")


def test_malformed_yahoo_file_is_named(tmp_path):
    _write(tmp_path / "A1Benchmark" / "real_1.csv", "time,val\n1,2\n")
    with pytest.raises(ValueError, match=r"real_1.csv: missing column\(s\) \['timestamp', 'value', 'is_anomaly'\]"):
        yahoo.read_benchmark(tmp_path, "A1")
    _write(tmp_path / "A1Benchmark" / "real_1.csv", "timestamp,value,is_anomaly\n1,abc,0\n")
    with pytest.raises(ValueError, match="'value' must be numeric; found 'abc'"):
        datasets.series.raw_from_frame(yahoo.read_benchmark(tmp_path, "A1"), "real_1.csv")


def test_yahoo_options_are_checked():
    with pytest.raises(ParameterError, match="'A9'"):
        yahoo.check_options({"benchmark": "A9"})
    with pytest.raises(ParameterError, match="window=1"):
        yahoo.check_options({"window": 1})
    with pytest.raises(ParameterError, match="not known for yahoo"):
        yahoo.check_options({"windw": 24})


def test_real_yahoo_copy_is_preferred(tmp_path, monkeypatch):
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path))
    rows = "\n".join(f"{t},{10 + t % 24},{int(t == 50)}" for t in range(1, 201))
    _write(tmp_path / "yahoo" / "A1Benchmark" / "real_1.csv", "timestamp,value,is_anomaly\n" + rows)
    raw = yahoo.load(seed=0)
    assert "Yahoo S5 A1 from" in raw.source and len(raw.y) == 200


# ------------------------------------------------------------------ chronological split
def _two_series(n=300):
    t = np.arange(n)
    frames = []
    for name, scale in (("a", 1.0), ("b", 1000.0)):
        y = np.zeros(n, int)
        y[[20, 21, 200, 280]] = 1
        v = scale * (5 + np.sin(2 * np.pi * t / 24)) + y * 10 * scale
        frames.append(pd.DataFrame({"series": name, "timestamp": t, "value": v, "is_anomaly": y}))
    return datasets.series.raw_from_frame(pd.concat(frames, ignore_index=True), "test")


def test_chronological_split_never_trains_on_anomalies():
    split = split_series(_two_series(), window=10, train_stride=2, fractions=(0.6, 0.2, 0.2))
    ts = split.ts
    for g in (0, 1):  # every part follows the previous one in time
        times = [ts[f"{p}_time"][ts[f"{p}_group"] == g].astype(int) for p in ("train", "val", "test")]
        assert times[0].max() < times[1].min() and times[1].max() < times[2].min()
        normal = ts["train_values"][(ts["train_group"] == g) & (ts["train_y"] == 0)]
        assert normal.min() == pytest.approx(0, abs=1e-6) and normal.max() == pytest.approx(1, abs=1e-6)
    assert not windows.any_in_window(ts["train_y"], ts["train_starts"], 10).any()
    assert split.X_train.shape[1] == 10 and (np.diff(ts["train_starts"][:3]) == 2).all()
    assert len(split.y_val) == split.points("val") == 120 and split.y_test.sum() == 2
    # every validation and test point is covered by a window, so every point gets a score
    for part in ("val", "test"):
        errors = np.ones((len(split.inputs(part)), 10))
        assert not np.isnan(split.to_scores(part, errors)).any()
    assert split.train_anomaly_share == pytest.approx(split.y_val.mean())


def test_standard_scaling_uses_normal_training_points():
    split = split_series(_two_series(), window=10, scaling="standard")
    normal = split.ts["train_values"][(split.ts["train_group"] == 1) & (split.ts["train_y"] == 0)]
    assert normal.mean() == pytest.approx(0, abs=1e-5) and normal.std() == pytest.approx(1, abs=1e-4)
    with pytest.raises(ParameterError, match="scaling='log'"):
        yahoo.check_options({"scaling": "log"})


def test_series_split_survives_saving():
    split = split_series(_two_series(), window=10, train_stride=2)
    again = SeriesSplit.from_arrays(split.arrays(), split.info)
    assert datasets.spec("yahoo").split_type is SeriesSplit and split.family == "series"
    assert np.array_equal(again.ts["test_starts"], split.ts["test_starts"])
    assert again.X_val_normal.shape[0] < again.X_val.shape[0]


def test_a_validation_part_without_anomalies_is_refused():
    with pytest.raises(ValueError, match=r"validation part holds no anomalous points.*fractions"):
        split_series(_two_series(), window=10, fractions=(0.8, 0.1, 0.1))


def test_too_short_series_are_named():
    with pytest.raises(ValueError, match=r"too short for window=200.*a \(300 points\)"):
        split_series(_two_series(), window=200)


def test_point_baselines_look_only_back_in_time():
    split = split_series(_two_series(), window=10)
    z = detectors.build("rolling_zscore", seed=0).fit(split)
    before = z.score_samples(split, "val")
    split.ts["test_values"] = split.ts["test_values"] * 0 + 99.0  # change the future
    assert np.array_equal(before, z.score_samples(split, "val"))
    rnd = detectors.build("random", seed=1).fit(split)
    assert np.array_equal(rnd.score_samples(split, "test"), rnd.score_samples(split, "test"))
    assert len(rnd.score_samples(split, "train")) == int((split.ts["train_y"] == 0).sum())
    from helpers.datasets.base import Split
    rows = Split(np.zeros((4, 2)), np.zeros((2, 2)), np.array([0, 1]), np.zeros((2, 2)),
                 np.array([0, 1]), 0.5)
    with pytest.raises(ValueError, match="needs a time series"):
        detectors.build("rolling_zscore", seed=0).fit(rows)


# ------------------------------------------------------------------ NAB
def _nab_files(root, n=400, windows_=(("2014-01-05 00:00", "2014-01-06 00:00"),)):
    t = pd.date_range("2014-01-01", periods=n, freq="h")
    v = 70 + np.sin(np.arange(n) / 24 * 2 * np.pi)
    csv = root / "nab" / "data" / nab.DEFAULT_FILE
    csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "value": v}).to_csv(csv, index=False)
    labels = root / "nab" / nab.LABELS
    labels.parent.mkdir(parents=True, exist_ok=True)
    labels.write_text(json.dumps({nab.DEFAULT_FILE: [[f"{a}:00.000000", f"{b}:00.000000"]
                                                     for a, b in windows_]}))
    return csv, labels


def test_nab_points_inside_a_window_are_anomalous(tmp_path, monkeypatch):
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path))
    _nab_files(tmp_path)
    raw = nab.load(seed=0)
    df = raw.frame()
    flagged = df.loc[df["is_anomaly"] == 1, "timestamp"]
    assert len(flagged) == 25 and flagged.iloc[0] == "2014-01-05 00:00"
    assert nab.missing() == []


def test_nab_missing_data_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path))
    assert len(datasets.missing_data("nab")) == 2
    with pytest.raises(nab.MissingDataError, match="make data"):
        nab.load(seed=0)


def test_nab_bad_files_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path))
    csv, labels = _nab_files(tmp_path)
    labels.write_text(json.dumps({"other.csv": []}))
    with pytest.raises(ValueError, match="no windows for 'realKnownCause/ambient"):
        nab.load(seed=0)
    _nab_files(tmp_path)
    csv.write_text("timestamp,value\nyesterday,1\n")
    with pytest.raises(ValueError, match="timestamp 'yesterday' in row 1 is not a date"):
        nab.load(seed=0)
    with pytest.raises(ParameterError, match="file=3"):
        nab.check_options({"file": 3})


def test_nab_default_split_puts_one_window_in_validation_and_one_in_test(tmp_path, monkeypatch):
    from conftest import write_nab

    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path))
    write_nab(tmp_path)  # 1,200 points, windows at 600-659 and 1000-1059
    split = datasets.split("nab", datasets.load("nab", seed=0), seed=0)
    assert split.ts["train_y"].sum() == 0
    assert events.runs(split.y_val) == [(60, 120)] and events.runs(split.y_test) == [(160, 220)]
    assert split.window == 48 and len(split.X_train) == 540 - 48 + 1


def test_boundaries_move_to_give_validation_and_test_an_event():
    from helpers.datasets.series import fit_boundaries

    y = np.zeros(4000, int)
    for a, b in ((1400, 1550), (3000, 3150), (3600, 3750)):
        y[a:b] = 1
    # the defaults would leave validation (1,800-2,799) without an event: the test part
    # starts one window after the second event instead, the nearest boundary that works
    a, b, said = fit_boundaries(y, (0.45, 0.25, 0.30), window=48)
    assert (a, b) == (1800, 3198) and y[a:b].any() and y[b:].any()
    assert "left the validation part without both labelled anomalies and normal points" in said and "(0.45, 0.35, 0.20)" in said
    assert fit_boundaries(y, (0.3, 0.5, 0.2), window=48) == (1200, 3200, "")


def test_a_series_with_too_few_events_names_them_and_what_would_work():
    from helpers.datasets.series import fit_boundaries

    y = np.zeros(1000, int)
    y[600:650] = 1
    with pytest.raises(ValueError, match=r"1 labelled event\(s\): points 600-649 \(60%-65%\).*"
                                         r"at least two labelled events"):
        fit_boundaries(y, (0.6, 0.2, 0.2), window=20)
    y[200:230] = 1  # two events, both early: only a short training part would work
    with pytest.raises(ValueError, match=r"fractions=\(0\.18, 0\.40, 0\.42\) would work"):
        fit_boundaries(y, (0.7, 0.15, 0.15), window=20)


def test_a_nab_series_whose_events_do_not_fit_the_defaults_is_split_to_fit(tmp_path, monkeypatch):
    from conftest import write_nab

    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path))
    write_nab(tmp_path, n=2000, events=((700, 760), (1700, 1760)), file="custom/five_minutes.csv",
              freq="5min")
    opts = {"file": "custom/five_minutes.csv"}
    raw = datasets.load("nab", seed=0, options=opts)
    split = datasets.split("nab", raw, seed=0, options=opts)
    assert split.y_val.any() and split.y_test.any()
    assert "boundaries moved" in split.info["split moved"]
    note = datasets.note_text("nab", "02_load", opts, raw=raw)
    assert "`custom/five_minutes.csv`" in note and "2,000 points" in note
    assert "one point every 5 minutes" in note and "48 points (4 hours)" in note
    assert "2 labelled windows of 60 points (700-759 (35%-38%), 1,700-1,759 (85%-88%))" in note
    assert "temperature" not in note
    assert "holds 1 labelled event, so every event figure is all or nothing" in \
        datasets.note_text("nab", "07_report", opts, split=split)
    for notebook in ("02_load", "07_report"):  # without data: what the options say
        assert "custom/five_minutes.csv" in datasets.note_text("nab", notebook, opts) or notebook == "07_report"
        assert datasets.note_text("nab", notebook, opts)
    assert datasets.title("nab", opts) == "NAB: custom/five_minutes.csv"
