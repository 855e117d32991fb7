"""Labelled tables with a few known anomalies (seed 004): reading a labelled CSV, and the
few-labels split that DevNet's paper and seed 004 assume.

The few-labels protocol, as in real data:

1. a fifth of the rows, drawn by class (``test_seed`` fixed), become the **test** part; its
   labels are used once, in notebook 07 (and by ``helpers.leaderboard``);
2. a fifth of the rest, drawn by class, is the **validation** part, labelled: thresholds and
   model choices are made there;
3. the rest is the **training** part. Nobody labelled most of it: the **unlabelled** rows are
   all its normal rows plus enough of its anomalies that they make up ``contamination`` of
   them (default 2%), mixed in where nobody marked them. Only ``labelled_anomalies`` of its
   other anomalies (default 30) carry a label. The training part's remaining anomalies are
   not used.

Unsupervised models (the autoencoders, PCA, IsolationForest) train on the unlabelled rows,
``split.X_train``, and never see a label. Detectors that use labels (DevNet, a classifier)
read ``split.X_labelled`` too, and treat the unlabelled rows as normal. The split keeps no
label of an unlabelled row: the unmarked anomalies are only counted, in ``info``.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .. import paths
from ..checks import ParameterError, check_known_options
from .base import RawData, Split
from .files import head, quote, read_csv

# The protocol's settings, shared by every dataset that uses it (their options).
PROTOCOL = {"contamination": 0.02, "labelled_anomalies": 30}
# A text column with at most this many distinct values is one-hot encoded; more is refused.
MAX_CATEGORIES = 20
# The fewest anomalies the few-labels split accepts in the whole table.
MIN_ANOMALIES = 15
# The fewest feature columns: the tables' models keep a bottleneck of at least 2, narrower
# than the input.
MIN_FEATURES = 3


class TableError(ValueError):
    """A labelled table the kit cannot use as it is."""


@dataclass
class FewLabelSplit(Split):
    """A :class:`Split` of labelled rows under the few-labels protocol (module docstring).

    ``X_train`` holds the unlabelled training rows (mostly normal, ``contamination`` of them
    unmarked anomalies), ``X_labelled`` the training part's labelled anomalies, and
    ``test_ids`` one id per test row (for a submission file)."""

    X_labelled: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), "float32"))
    test_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, str))
    family = "tabular"
    # row sets that hold features, beyond train/val/test (scaled like them)
    extra_rows = ("X_labelled",)

    def counts(self) -> pd.DataFrame:
        unmarked = int(self.info.get("unmarked anomalies", 0))
        rows = {
            "train, unlabelled (the models train here)": (len(self.X_train), unmarked),
            "train, labelled anomalies": (len(self.X_labelled), len(self.X_labelled)),
            "validation (labelled)": (len(self.y_val), int(self.y_val.sum())),
            "test (labels used once, in 07)": (len(self.y_test), int(self.y_test.sum())),
        }
        df = pd.DataFrame(rows, index=["rows", "anomalies"]).T
        df["anomaly share"] = (df["anomalies"] / df["rows"]).round(4)
        return df

    def arrays(self) -> dict[str, np.ndarray]:
        return {**super().arrays(), "X_labelled": self.X_labelled,
                "test_ids": np.asarray(self.test_ids).astype(str)}

    @classmethod
    def from_arrays(cls, arrays, info: dict | None = None) -> "FewLabelSplit":
        rest = {k: v for k, v in arrays.items() if k not in ("X_labelled", "test_ids")}
        base = Split.from_arrays(rest, info)
        return cls(base.X_train, base.X_val, base.y_val, base.X_test, base.y_test,
                   base.train_anomaly_share, base.info, base.labels,
                   X_labelled=arrays["X_labelled"], test_ids=arrays["test_ids"])


def check_protocol(dataset: str, opts: dict) -> None:
    """The protocol's options: ``contamination`` a share below one half, and
    ``labelled_anomalies`` a whole number of at least 1."""
    c = opts["contamination"]
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 <= c < 0.5:
        raise ParameterError(f"option contamination={c!r} is not valid for {dataset}; expected the "
                             "share of unmarked anomalies among the unlabelled training rows, a "
                             "number from 0 up to (not including) 0.5, e.g. 0.02")
    n = opts["labelled_anomalies"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParameterError(f"option labelled_anomalies={n!r} is not valid for {dataset}; expected "
                             "a whole number of at least 1, e.g. 30 (DevNet and the classifier "
                             "need some labelled anomalies)")


def check_options(dataset: str, options: dict, defaults: dict = PROTOCOL) -> dict:
    """A labelled table's options merged over ``defaults`` (an unknown key is named), the
    protocol's two checked (``check_protocol``)."""
    opts = check_known_options(dataset, options, defaults)
    check_protocol(dataset, opts)
    return opts


def split_few_labels(raw: RawData, seed: int, contamination: float = 0.02,
                     labelled_anomalies: int = 30, test_size: float = 0.2, val_size: float = 0.2,
                     test_seed: int = 42, ids=None) -> FewLabelSplit:
    """The few-labels split of ``raw`` (module docstring). ``ids``: one id per row of
    ``raw`` (default: the row number); the test rows' ids go into ``test_ids``. Too few
    anomalies for ``labelled_anomalies`` labels stops with a message that says what would
    work."""
    if not 0 <= contamination < 0.5:
        raise ParameterError(f"contamination={contamination!r} must lie from 0 up to (not "
                             "including) 0.5")
    X, y = np.asarray(raw.X), np.asarray(raw.y).astype(int)
    if y.sum() < MIN_ANOMALIES:
        raise TableError(
            f"{raw.source}: only {int(y.sum())} rows are anomalies; the few-labels split needs at "
            f"least {MIN_ANOMALIES} (at least 2 each in the test and validation parts, and some "
            "to label); use data with more labelled anomalies")
    ids = np.arange(len(y)).astype(str) if ids is None else np.asarray(ids).astype(str)
    rows = np.arange(len(y))
    part, test = train_test_split(rows, test_size=test_size, random_state=test_seed, stratify=y)
    train, val = train_test_split(part, test_size=val_size, random_state=seed, stratify=y[part])
    for name, rows_of in (("test", test), ("validation", val)):
        if y[rows_of].sum() < 2:
            raise TableError(f"{raw.source}: the {name} part would hold {int(y[rows_of].sum())} "
                             f"anomalies of the data's {int(y.sum())}; thresholds and figures need at "
                             "least 2 there: use data with more labelled anomalies")
    rng = np.random.default_rng(seed)
    normal = rng.permutation(train[y[train] == 0])
    anomalous = rng.permutation(train[y[train] == 1])
    if len(anomalous) < labelled_anomalies:
        raise TableError(
            f"{raw.source}: the training part holds only {len(anomalous)} anomalies "
            f"({int(y.sum())} in all the data; the test and validation parts take 20% and 16% of "
            f"them), fewer than the {labelled_anomalies} labelled anomalies asked for; ask for "
            f"fewer with options={{'labelled_anomalies': {max(1, len(anomalous))}}}, or use data "
            "with more anomalies")
    # The unmarked anomalies come first in the shuffled order and the labelled ones after
    # them, so that asking for more labels (07's curve) keeps the same unlabelled rows and
    # adds labels to the ones already there. The label count is exact; the contamination
    # takes what is left if anomalies are short.
    wanted = int(round(contamination * len(normal) / (1 - contamination)))
    wanted = min(wanted, len(anomalous) - labelled_anomalies)
    unmarked = anomalous[:wanted]
    labelled = anomalous[wanted:wanted + labelled_anomalies]
    spare = anomalous[wanted + labelled_anomalies:]
    unlabelled = np.sort(np.r_[normal, unmarked])  # in file order: nothing marks the anomalies
    info = {"source": raw.source, "protocol": "few labels",
            "contamination asked": contamination,
            "contamination": round(len(unmarked) / max(1, len(unlabelled)), 4),
            "unmarked anomalies": int(len(unmarked)),
            "labelled anomalies": int(len(labelled)),
            "unused training anomalies": int(len(spare)),
            "rows": int(len(y)), "anomalies": int(y.sum())}
    return FewLabelSplit(
        X_train=X[unlabelled], X_val=X[val], y_val=y[val], X_test=X[test], y_test=y[test],
        train_anomaly_share=float(y[val].mean()), info=info,
        X_labelled=X[np.sort(labelled)], test_ids=ids[test])


def split(raw: RawData, seed: int, quick: bool = False, options: dict | None = None) -> FewLabelSplit:
    """A labelled table's ``split`` (the dataset modules use this one): the few-labels split
    with the run's ``contamination`` and ``labelled_anomalies``, ids from
    ``raw.columns["id"]``."""
    opts = {**PROTOCOL, **(options or {})}
    return split_few_labels(raw, seed, opts["contamination"], opts["labelled_anomalies"],
                            ids=raw.columns.get("id"))


def size_sentence(raw: RawData | None, digits: int = 1) -> str:
    """02's sentence on the rows read ("" before anything is loaded)."""
    if raw is None:
        return ""
    return (f" This run reads {len(raw.y):,} rows of {raw.X.shape[1]} features, "
            f"{int(raw.y.sum()):,} of them anomalies ({raw.y.mean():.{digits}%}).")


# -- reading a labelled CSV --------------------------------------------------------------------
def _fix(label: str) -> str:
    return (f"A labelled table is a CSV with a header, one row per record, numeric (or short "
            f"text) feature columns and a label column ({label!r}) of 0 (normal) and 1 (anomaly)")


def _labels(where: str, column: pd.Series, label: str) -> np.ndarray:
    """The label column as 0/1 integers; anything else is refused with examples."""
    if column.isna().any():
        i = int(np.flatnonzero(column.isna().to_numpy())[0])
        raise TableError(f"{where}: the label column {label!r} is empty in {int(column.isna().sum())} "
                         f"row(s), e.g. row {i + 1}; every row needs a label 0 or 1 (remove those "
                         "rows, or label them)")
    as_text = column.astype(str).str.strip().str.lower()
    mapping = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}
    bad = ~as_text.isin(list(mapping))
    if bad.any():
        found = pd.unique(column[bad])[:5]
        raise TableError(f"{where}: the label column {label!r} holds values other than 0 and 1: "
                         f"{', '.join(quote(v) for v in found)} ({int(bad.sum())} row(s)); expected "
                         "1 for an anomaly and 0 for a normal row. Recode it (for a class column: "
                         "1 for the rare class), or name another column with options={'label': ...}")
    y = as_text.map(mapping).to_numpy(int)
    if y.sum() == 0:
        raise TableError(f"{where}: the label column {label!r} marks no row as an anomaly (all "
                         f"{len(y):,} are 0); the kit needs labelled anomalies (1) to choose "
                         "thresholds and to report any figure")
    if y.sum() == len(y):
        raise TableError(f"{where}: the label column {label!r} marks every row as an anomaly; "
                         "expected mostly 0 (normal) and some 1 (anomaly)")
    return y


def read_labelled_csv(path, label: str, id_column: str | None = None, drop=(),
                      max_categories: int = MAX_CATEGORIES, source: str | None = None) -> RawData:
    """A labelled CSV as ``RawData``, with ``columns["id"]`` holding each row's id and
    ``info`` what reading it did (rows read, left out, one-hot encoded columns).

    - numeric (and true/false) columns are used as they are;
    - a text column with at most ``max_categories`` distinct values is one-hot encoded (one
      0/1 column per value); one with more is refused, naming it;
    - rows with a missing or infinite feature value are left out and counted
      (``info["left out"]``, with how many of them were anomalies);
    - a missing file, a missing label, id or dropped column, a label other than 0/1, no
      anomaly at all, repeated ids or no feature left: each stops with a message that
      names the problem and what would fix it.
    """
    path = Path(path)
    where = paths.show(path)
    if not path.exists():
        raise FileNotFoundError(f"{where}: no such file; give the path of a labelled CSV, "
                                "relative to the kit's folder or absolute, with "
                                "options={'path': ..., 'label': ...}")
    needed = [label] + ([id_column] if id_column else [])
    df = read_csv(path, needed, f"a CSV with the columns {needed} and feature columns",
                  _fix(label) + ".")
    header = next(csv.reader(io.StringIO(head(path, 1 << 16).decode("utf-8", "replace"))), [])
    repeated = sorted({c.strip() for c in header if [h.strip() for h in header].count(c.strip()) > 1})
    if repeated:
        raise TableError(f"{where}: the header names {repeated} more than once; every column needs "
                         "its own name (a repeated label column would pass the label on as a "
                         "feature)")
    drop = [drop] if isinstance(drop, str) else list(drop)
    unknown = [c for c in drop if c not in df.columns]
    if unknown:
        raise TableError(f"{where}: cannot drop {unknown}: no such column(s); its columns are "
                         f"{list(df.columns)[:12]}")
    y = _labels(where, df[label], label)
    if id_column:
        empty = df[id_column].isna() | (df[id_column].astype(str).str.strip() == "")
        if empty.any():
            raise TableError(f"{where}: the id column {id_column!r} is empty in {int(empty.sum())} "
                             f"row(s), e.g. row {int(np.flatnonzero(empty.to_numpy())[0]) + 1}; every "
                             "row needs an id (or leave out the 'id' option: the row number is then "
                             "the id)")
        ids = df[id_column].astype(str).str.strip()
        twice = ids[ids.duplicated()]
        if len(twice):
            raise TableError(f"{where}: the id column {id_column!r} repeats {len(twice)} id(s), e.g. "
                             f"{quote(twice.iloc[0])}; every row needs its own id (or leave out "
                             "the 'id' option: the row number is then the id)")
    else:
        ids = pd.Series(np.arange(len(df)).astype(str))
    features = df.drop(columns=[label, *([id_column] if id_column else []), *drop])
    blank = [c for c in features.columns if features[c].isna().all()]
    if blank:
        raise TableError(f"{where}: column(s) {blank} hold no value at all; leave them out with "
                         f"options={{'drop': {blank}}}")
    if features.shape[1] == 0:
        raise TableError(f"{where}: no feature column is left after the label, id and dropped "
                         "columns; a table needs at least 2 feature columns")
    parts, encoded = [], []
    too_many = {}
    for name in features.columns:
        col = features[name]
        if pd.api.types.is_bool_dtype(col):
            parts.append(col.astype(float).rename(name))
        elif pd.api.types.is_numeric_dtype(col):
            parts.append(col.astype(float).rename(name))
        else:
            values = col.dropna().astype(str).str.strip()
            kinds = sorted(values.unique())
            if len(kinds) > max_categories:
                too_many[name] = len(kinds)
                continue
            dummies = pd.get_dummies(col.astype("string").str.strip(), prefix=name, prefix_sep="=",
                                     dtype=float)
            dummies[col.isna().to_numpy()] = np.nan  # a missing text value stays missing
            parts.append(dummies)
            encoded.append(name)
    if too_many:
        named = ", ".join(f"{n!r} ({k} distinct values)" for n, k in too_many.items())
        raise TableError(f"{where}: text column(s) {named} have more than {max_categories} "
                         f"distinct values, too many to one-hot encode; leave them out with "
                         f"options={{'drop': {list(too_many)}}}, or turn them into numbers")
    X = pd.concat(parts, axis=1)
    if X.shape[1] < MIN_FEATURES:
        raise TableError(f"{where}: only {X.shape[1]} feature column(s) ({list(X.columns)}) are "
                         f"left; the kit needs at least {MIN_FEATURES} (its models keep a bottleneck "
                         "of at least 2, narrower than the input)")
    values = X.to_numpy(float)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.all():
        raise TableError(f"{where}: every row has a missing or infinite feature value; fill them "
                         "in, or drop the columns that are mostly empty with options={'drop': [...]}")
    kept = ~bad
    y_kept = y[kept]
    if y_kept.sum() == 0:
        raise TableError(f"{where}: every anomaly has a missing or infinite feature value, so "
                         "none is left; fill them in, or drop the columns that are empty")
    return RawData(
        X=values[kept].astype("float32"), y=y_kept, feature_names=list(X.columns),
        source=source or f"{where} (label column {label!r})",
        columns={"id": ids.to_numpy()[kept]},
        info={"rows read": len(df), "left out": int(bad.sum()),
              "left out anomalies": int(y[bad].sum()), "one-hot encoded": encoded,
              "features": int(X.shape[1])})


# -- what the notebooks say ----------------------------------------------------------------------
def protocol_note(opts: dict, split: Split | None = None) -> str:
    """02's paragraph on the few-labels split, with this run's counts when there is a split."""
    text = f"""
**The few-labels split.** A fifth of the rows, drawn class by class, are the **test** part: its
labels are read once, in notebook 07. A fifth of the rest is the labelled **validation** part,
where thresholds and model choices are made. The remaining **training** part is what a
project would really have: mostly unlabelled rows, among them anomalies nobody marked (the
option `contamination` sets their share, {opts['contamination']:.0%} asked for here), and a
few anomalies that someone did label (`labelled_anomalies`, {opts['labelled_anomalies']} here).
The autoencoders and the classical baselines train on the unlabelled rows and never see a
label; DevNet and the supervised classifier (notebook 07) also read the labelled anomalies and
treat every unlabelled row as normal."""
    if split is not None:
        i = split.info
        text += (f" In this run the unlabelled rows hold {i['unmarked anomalies']:,} unmarked "
                 f"anomalies ({i['contamination']:.1%} of them) and {i['labelled anomalies']} "
                 "anomalies carry a label.")
        if i["contamination"] < opts["contamination"] - 0.001:
            text += (f" There were not enough anomalies for {opts['contamination']:.0%}: every "
                     "training anomaly not labelled is among the unlabelled rows.")
        else:
            text += (f" The other {i['unused training anomalies']:,} anomalies of the training part "
                     "are left out, so that the contamination is what was asked for.")
    return text.strip()


def reading_note(raw: RawData | None) -> str:
    """What reading a CSV did: rows read and left out, columns encoded (02)."""
    if raw is None or not raw.info:
        return ""
    i = raw.info
    parts = [f"The file has {i['rows read']:,} rows; {len(raw.y):,} are used, with "
             f"{i['features']} feature columns and {int(raw.y.sum()):,} labelled anomalies "
             f"({raw.y.mean():.1%})."]
    if i["left out"]:
        rows = "1 row" if i["left out"] == 1 else f"{i['left out']:,} rows"
        parts.append(f"{rows} had a missing or infinite feature value and "
                     f"{'is' if i['left out'] == 1 else 'are'} left out "
                     f"({i['left out anomalies']:,} of them anomalies): the kit does not guess "
                     "values.")
    else:
        parts.append("No row has a missing value.")
    if i["one-hot encoded"]:
        parts.append(f"Text columns {i['one-hot encoded']} are one-hot encoded: one 0/1 column "
                     "per value.")
    return " ".join(parts)


# 03's and 05's notes for every labelled table.
MODELS_NOTE = """
The models here are sized to the table: each has a hidden layer of half the features and a
bottleneck of a quarter (at least 2), so it must summarise whatever the table's width. Besides
seed 004's simple dense autoencoder (`tab_dense`), seed 004 named two others: a **variational
autoencoder** (`tab_vae`), whose encoder outputs a distribution, and **MemAE** (`tab_memae`),
whose code is rebuilt from a small memory of learned normal patterns. Notebook 06 compares the
VAE's two possible scores; notebook 08 sweeps MemAE's memory size as seed 004 did.
"""
TRAINING_NOTE = """
The autoencoders learn from the unlabelled rows, unmarked anomalies included, as they would in
a real project; they never see a label. The detectors that read the labelled anomalies (DevNet,
seed 004's MemAE + DevNet, and a supervised classifier) are trained in notebook 07, beside the
classical baselines, so that every detector meets the same test set once.
"""
