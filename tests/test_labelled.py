"""Labelled tables (seed 004): the CSV loader's refusals, the few-labels split, and the
shipped shuttle and thyroid tables."""
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import datasets, preprocessing
from helpers.checks import ParameterError
from helpers.datasets import csvfile, labelled, thyroid
from helpers.datasets.base import RawData
from helpers.datasets.labelled import FewLabelSplit, TableError, read_labelled_csv, split_few_labels

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks" / "src"


def table(n: int = 600, anomalies: int = 60, seed: int = 0) -> pd.DataFrame:
    """A small labelled table: 3 numeric features, a text column, an id, a 0/1 label."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n - anomalies, int), np.ones(anomalies, int)]
    X = rng.normal(size=(n, 3)) + 3 * y[:, None]
    return pd.DataFrame({"key": [f"r{i}" for i in range(n)], "a": X[:, 0], "b": X[:, 1],
                         "c": X[:, 2], "colour": rng.choice(["red", "blue"], n), "Class": y})


def write(tmp_path, df, name="t.csv") -> Path:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def test_a_labelled_csv_is_read_with_ids_and_text_columns_one_hot(tmp_path):
    path = write(tmp_path, table())
    raw = read_labelled_csv(path, "Class", id_column="key")
    assert raw.X.shape == (600, 5) and raw.y.sum() == 60
    assert raw.feature_names == ["a", "b", "c", "colour=blue", "colour=red"]
    assert raw.columns["id"][:2].tolist() == ["r0", "r1"]
    assert raw.info["one-hot encoded"] == ["colour"] and raw.info["left out"] == 0
    dropped = read_labelled_csv(path, "Class", drop=["colour", "key"])
    assert dropped.feature_names == ["a", "b", "c"] and dropped.columns["id"][0] == "0"


def test_rows_with_missing_values_are_left_out_and_counted(tmp_path):
    df = table()
    df.loc[[3, 4, 595], "a"] = np.nan  # 595 is an anomaly
    df.loc[7, "colour"] = None
    raw = read_labelled_csv(write(tmp_path, df), "Class", drop=["key"])
    assert len(raw.y) == 596 and raw.info["left out"] == 4 and raw.info["left out anomalies"] == 1
    note = labelled.reading_note(raw)
    assert "4 rows had a missing or infinite feature value" in note and "1 of them anomalies" in note


@pytest.mark.parametrize("change, options, message", [
    (None, {"label": "label"}, "missing column(s) ['label']"),
    (lambda df: df.assign(Class=df["Class"].replace(1, 2)), {}, "values other than 0 and 1: 2"),
    (lambda df: df.assign(Class=0), {}, "marks no row as an anomaly"),
    (lambda df: df.assign(Class=df["Class"].astype(float).where(df.index != 5)), {},
     "is empty in 1 row(s), e.g. row 6"),
    (lambda df: df.assign(key="same"), {"id_column": "key"}, "repeats 599 id(s)"),
    (lambda df: df.assign(colour=[f"c{i}" for i in range(len(df))]), {"drop": ["key"]},
     "'colour' (600 distinct values)"),
    (None, {"drop": ["nope"]}, "cannot drop ['nope']"),
    (lambda df: df[["key", "a", "Class"]], {"drop": ["key"]}, "only 1 feature column(s)"),
    (lambda df: df.assign(b=np.nan), {}, "column(s) ['b'] hold no value at all"),
    (lambda df: df.assign(key=df["key"].where(df.index != 3)), {"id_column": "key"},
     "is empty in 1 row(s), e.g. row 4"),
    (lambda df: df.rename(columns={"c": "Class"}), {}, "names ['Class'] more than once"),
])
def test_a_bad_table_is_refused_with_the_problem_and_the_fix(tmp_path, change, options, message):
    df = table()
    df = change(df) if change else df
    kwargs = {"label": "Class", "drop": ["key"], **options}
    if "id_column" in options:
        kwargs["drop"] = []
    with pytest.raises(ValueError) as err:
        read_labelled_csv(write(tmp_path, df), kwargs.pop("label"), **kwargs)
    assert message in str(err.value) and "t.csv" in str(err.value)


def test_a_missing_or_non_csv_file_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_labelled_csv(tmp_path / "none.csv", "Class")
    (tmp_path / "page.csv").write_text("<html><body>not found</body></html>")
    with pytest.raises(ValueError, match="web page"):
        read_labelled_csv(tmp_path / "page.csv", "Class")


def raw_of(n=2000, anomalies=200, seed=0) -> RawData:
    df = table(n, anomalies, seed)
    return RawData(X=df[["a", "b", "c"]].to_numpy("float32"), y=df["Class"].to_numpy(),
                   feature_names=["a", "b", "c"], source="toy", columns={"id": df["key"].to_numpy()})


def test_the_few_labels_split_counts_are_exact_and_no_label_leaks():
    raw = raw_of()
    split = split_few_labels(raw, seed=1, contamination=0.05, labelled_anomalies=12,
                             ids=raw.columns["id"])
    assert isinstance(split, FewLabelSplit)
    assert len(split.X_labelled) == 12
    rows = {tuple(r) for r in raw.X}
    label_of = {tuple(r): int(v) for r, v in zip(raw.X, raw.y)}
    # the unlabelled part holds the asked-for share of unmarked anomalies, and nothing
    # in the split says which rows they are
    unmarked = sum(label_of[tuple(r)] for r in split.X_train)
    assert unmarked == split.info["unmarked anomalies"]
    assert abs(unmarked / len(split.X_train) - 0.05) < 0.002
    assert not hasattr(split, "y_train") and "y_train" not in split.arrays()
    # the labelled rows are anomalies, and none of them is also an unlabelled row
    assert all(label_of[tuple(r)] == 1 for r in split.X_labelled)
    assert not {tuple(r) for r in split.X_labelled} & {tuple(r) for r in split.X_train}
    # parts are disjoint and the test ids name the test rows
    parts = [split.X_train, split.X_labelled, split.X_val, split.X_test]
    assert sum(len(p) for p in parts) <= len(raw.y)
    assert len(set().union(*({tuple(r) for r in p} for p in parts))) == sum(len(p) for p in parts)
    index = {k: i for i, k in enumerate(raw.columns["id"])}
    assert np.array_equal(raw.X[[index[i] for i in split.test_ids]], split.X_test)
    assert {tuple(r) for r in split.X_train} <= rows


def test_more_labels_keep_the_same_unlabelled_rows_and_add_to_the_labels():
    raw = raw_of()
    few = split_few_labels(raw, seed=3, labelled_anomalies=5)
    more = split_few_labels(raw, seed=3, labelled_anomalies=40)
    assert np.array_equal(few.X_train, more.X_train) and np.array_equal(few.X_test, more.X_test)
    assert {tuple(r) for r in few.X_labelled} <= {tuple(r) for r in more.X_labelled}


def test_the_test_part_does_not_depend_on_the_seed_and_the_split_round_trips():
    raw = raw_of()
    a, b = split_few_labels(raw, seed=1), split_few_labels(raw, seed=2)
    assert np.array_equal(a.test_ids, b.test_ids) and not np.array_equal(a.X_train, b.X_train)
    back = FewLabelSplit.from_arrays(a.arrays(), a.info)
    assert np.array_equal(back.X_labelled, a.X_labelled) and back.test_ids.tolist() == a.test_ids.tolist()
    scaled = preprocessing.scale_split(a, preprocessing.fit_scaler(a.X_train))
    assert isinstance(scaled, FewLabelSplit)
    assert abs(scaled.X_train.mean()) < 1e-5 and abs(scaled.X_labelled.mean()) > 0.5  # scaled too


def test_too_few_anomalies_for_the_labels_asked_for_is_refused():
    with pytest.raises(TableError, match=re.escape("fewer than the 100 labelled anomalies")):
        split_few_labels(raw_of(anomalies=60), seed=0, labelled_anomalies=100)
    with pytest.raises(TableError, match="only 8 rows are anomalies; the few-labels split needs at "
                                         "least 15"):
        split_few_labels(raw_of(anomalies=8), seed=0, labelled_anomalies=1)
    clean = split_few_labels(raw_of(), seed=0, contamination=0.0)
    assert clean.info["unmarked anomalies"] == 0


@pytest.mark.parametrize("options, message", [
    ({"contamination": 0.7}, "contamination=0.7"),
    ({"labelled_anomalies": 0}, "labelled_anomalies=0"),
    ({"labelled_anomalies": 2.5}, "labelled_anomalies=2.5"),
    ({"drop": "Time"}, "drop='Time'"),
    ({"label": "x", "drop": ["x"]}, "names the label or id column"),
    ({"path": 3}, "path=3"),
    ({"colour": 1}, "['colour'] are not known for csv"),
])
def test_csv_options_are_checked(options, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        datasets.check_options("csv", options)


def test_csv_on_a_copy_of_the_thyroid_file_gives_thyroids_split(tmp_path):
    copy = tmp_path / "mine.csv"
    copy.write_bytes(thyroid.path().read_bytes())
    opts = datasets.check_options("csv", {"path": str(copy), "label": "class"})
    raw = datasets.load("csv", 42, options=opts)
    mine = datasets.split("csv", raw, 42, options=opts)
    theirs = datasets.split("thyroid", datasets.load("thyroid", 42), 42)
    for name, value in mine.arrays().items():
        assert np.array_equal(value, theirs.arrays()[name]), name
    assert datasets.missing_data("csv", {"path": str(tmp_path / "nope.csv")})


@pytest.mark.parametrize("name, rows, anomalies, features", [
    ("shuttle", 49_097, 3_511, 9), ("thyroid", 7_200, 534, 21)])
def test_the_shipped_tables(name, rows, anomalies, features):
    raw = datasets.load(name, 42)
    assert raw.X.shape == (rows, features) and raw.y.sum() == anomalies
    split = datasets.split(name, raw, 42)
    counts = split.counts()
    assert counts["anomalies"].iloc[1] == 30 and abs(counts["anomaly share"].iloc[0] - 0.02) < 0.001
    note = datasets.note_text(name, "02_load", {}, raw, split)
    assert f"{rows:,} rows" in note and "CC BY 4.0" in note


def test_a_changed_shipped_table_is_refused(tmp_path, monkeypatch):
    changed = tmp_path / "data" / "thyroid" / Path(thyroid.FILE).name
    changed.parent.mkdir(parents=True)
    changed.write_text(thyroid.path().read_text().replace("0.75", "0.76", 1))
    monkeypatch.setattr(thyroid, "path", lambda: changed)
    with pytest.raises(ValueError, match="SHA-256 differs"):
        datasets.load("thyroid", 42)


def test_csv_is_not_in_a_plain_run_but_the_shipped_tables_are():
    assert "csv" not in datasets.default_names()
    assert {"shuttle", "thyroid"} <= set(datasets.default_names())


def test_no_notebook_before_the_report_reads_the_test_labels():
    for path in sorted(NOTEBOOKS.glob("0[1-6]_*.py")):
        code = path.read_text()
        for forbidden in ("y_test", 'labels_of("test")', "labels_of('test')"):
            assert forbidden not in code, f"{path.name} reads {forbidden}"
