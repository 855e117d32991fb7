"""What every dataset hands to the notebooks: the raw table and an honest split."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split


@dataclass
class RawData:
    """A dataset as loaded: features, labels (1 = anomaly) and where it came from."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    source: str
    labels: np.ndarray | None = None  # original classes (e.g. digits), where there are any
    columns: dict = field(default_factory=dict)  # extra columns, e.g. a time series' id and time
    info: dict = field(default_factory=dict)  # what reading the data did (rows left out, ...)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.X, columns=self.feature_names)
        for name, values in self.columns.items():
            df.insert(0, name, values)
        if self.labels is not None:
            df["label"] = self.labels
        df["is_anomaly"] = self.y.astype(int)
        return df


@dataclass
class Split:
    """The four sets every notebook works with.

    - ``X_train``: normal rows only; the autoencoders and baselines learn from it.
    - ``X_val``/``y_val``: held-out normal rows plus anomalies that no model trains
      on; thresholds and model choices are made here.
    - ``X_test``/``y_test``: touched once, in the report.
    - ``train_anomaly_share``: the anomaly share of the labelled training part,
      the prior a threshold may assume without looking at the test set.
    """

    X_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    train_anomaly_share: float
    info: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)  # original classes of "val"/"test" rows
    # what the split holds: "tabular" rows, "image" rows or "series" points in time
    family = "tabular"
    # the side of the square an image's score is taken over; None: not images
    patch = None

    @property
    def X_val_normal(self) -> np.ndarray:
        return self.X_val[self.y_val == 0]

    def inputs(self, part: str) -> np.ndarray:
        """What a model reads for ``part`` ("train", "val" or "test")."""
        return {"train": self.X_train, "val": self.X_val, "test": self.X_test}[part]

    def labels_of(self, part: str) -> np.ndarray:
        """The labels the scores of ``part`` are judged against (training: all normal)."""
        return {"train": np.zeros(len(self.X_train), int), "val": self.y_val,
                "test": self.y_test}[part]

    def groups(self, part: str) -> np.ndarray | None:
        """Which series each scored point belongs to, for event-level figures; rows
        that have no order in time have none."""
        return None

    def row_labels(self, part: str) -> np.ndarray:
        """One label per input row of ``part`` (a window is anomalous if any of its
        points is)."""
        return self.labels_of(part)

    def input_scores(self, errors: np.ndarray) -> np.ndarray:
        """One score per input from its per-value errors: here the mean over its
        values (an image split scores the worst patch instead)."""
        errors = np.asarray(errors, dtype=float)
        return errors.reshape(len(errors), -1).mean(axis=1)

    def to_scores(self, part: str, errors: np.ndarray) -> np.ndarray:
        """Anomaly scores of ``part`` from per-input errors, aligned with
        ``labels_of(part)``: one per row (a time-series split maps window errors to
        points instead)."""
        return self.input_scores(errors)

    def score_variants(self) -> dict[str, "Split"]:
        """Other ways this split could turn errors into scores, by name (the first is
        the one in use), for notebook 06 to compare on validation data."""
        return {"mean error": self}

    def counts(self) -> pd.DataFrame:
        """Rows and anomalies per set, as a table."""
        rows = {
            "train (normal only)": (len(self.X_train), 0),
            "validation": (len(self.y_val), int(self.y_val.sum())),
            "test": (len(self.y_test), int(self.y_test.sum())),
        }
        df = pd.DataFrame(rows, index=["rows", "anomalies"]).T
        df["anomaly share"] = (df["anomalies"] / df["rows"]).round(4)
        return df

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "X_train": self.X_train, "X_val": self.X_val, "y_val": self.y_val,
            "X_test": self.X_test, "y_test": self.y_test,
            "train_anomaly_share": np.array(self.train_anomaly_share),
            **{f"labels_{k}": v for k, v in self.labels.items()},
        }

    @classmethod
    def from_arrays(cls, arrays, info: dict | None = None) -> "Split":
        """The split ``arrays()`` saved (a subclass reads its own extra arrays)."""
        labels = {k[len("labels_"):]: v for k, v in arrays.items() if k.startswith("labels_")}
        return cls(
            arrays["X_train"], arrays["X_val"], arrays["y_val"], arrays["X_test"],
            arrays["y_test"], float(arrays["train_anomaly_share"]), info or {}, labels,
        )


def split_tabular(raw: RawData, seed: int, test_size: float = 0.2, test_seed: int = 42,
                  val_size: float = 0.2) -> Split:
    """Split rows that have no order in time.

    1. ``test_size`` of all rows become the test set (``test_seed`` fixed, so that
       every run is scored on the same test rows).
    2. From the remaining training part, ``val_size`` of the normal rows are held
       out; they and *all* the training part's anomalies form the validation set.
    3. The rest, normal rows only, is what the models train on.
    """
    X_tr, X_test, y_tr, y_test = train_test_split(
        raw.X, raw.y, test_size=test_size, random_state=test_seed)
    normal, anomalous = X_tr[y_tr == 0], X_tr[y_tr == 1]
    X_train, X_val_normal = train_test_split(normal, test_size=val_size, random_state=seed)
    X_val = np.concatenate([X_val_normal, anomalous])
    y_val = np.concatenate([np.zeros(len(X_val_normal), int), np.ones(len(anomalous), int)])
    return Split(
        X_train=X_train, X_val=X_val, y_val=y_val, X_test=X_test, y_test=y_test.astype(int),
        train_anomaly_share=float(y_tr.mean()),
        info={"source": raw.source, "training part rows": len(y_tr),
              "training part anomalies": int(y_tr.sum())},
    )
