"""Time series: a chronological split into windows, and the way back to points.

Every series is cut in time, never shuffled: the first ``train`` share of its points
is the training part, the next ``val`` share the validation part, the rest the test
part. Each series is scaled with its own *normal training points* only, so a series
measured in millions and one measured in tens get the same footing, and nothing after
the training part shapes the scaling: ``minmax`` maps their range to [0, 1] (the
default: with a sigmoid output a model cannot reproduce a level it never saw in
training, so the level stays part of the score), ``standard`` to mean 0 and spread 1.

The models read sliding windows. Training windows come from the training part
(with a stride, to save time) and hold no anomalous point; validation and test
windows cover their part at stride 1, and every point gets the mean error of the
windows that cover it (``helpers.windows.to_points``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import events, paths, windows
from ..checks import ParameterError
from .base import RawData, Split
from .files import check_points, time_key

PARTS = ("train", "val", "test")
# What notebook 06 says about thresholds on any time series (the datasets' NOTES use it).
THRESHOLD_NOTE = """
The validation part is a slice of time like the test part, not a set enriched with extra
anomalies, so its own anomaly share is the prior the thresholds assume: the weights above are
all 1. Scores are per **point**: the mean error of the windows that cover it.
"""
COLUMNS = ("series", "timestamp", "value", "is_anomaly")


def check_fractions(fractions) -> tuple:
    """The ``fractions`` option as a tuple of three finite positive numbers, before
    ``check_split_options`` checks that they add up to 1."""
    numbers = fractions if isinstance(fractions, (list, tuple)) else ()
    if len(numbers) != 3 or not all(isinstance(f, (int, float)) and not isinstance(f, bool)
                                    and np.isfinite(f) and f > 0 for f in numbers):
        raise ParameterError(f"option fractions={fractions!r} is not valid; expected three positive "
                             "shares (train, validation, test) that add up to 1, e.g. (0.6, 0.2, 0.2)")
    return tuple(numbers)


def check_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """A long table of series: one row per point, in time order within each series, with
    finite values and unique timestamps (the readers check each file the same way, naming
    it; this checks any table, naming ``source`` and the series)."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}; a series table needs {list(COLUMNS)}")
    check_points(source, df["timestamp"], time_key(df["timestamp"]), df["value"], df["series"])
    values = pd.to_numeric(df["value"], errors="coerce")
    labels = pd.to_numeric(df["is_anomaly"], errors="coerce")
    if not labels.isin([0, 1]).all():
        raise ValueError(f"{source}: 'is_anomaly' must be 0 or 1; found "
                         f"{sorted(set(df['is_anomaly'][~labels.isin([0, 1])].astype(str)))[:3]}")
    return df.assign(value=values.astype(float), is_anomaly=labels.astype(int))


def raw_from_frame(df: pd.DataFrame, source: str) -> RawData:
    df = check_frame(df, source)
    return RawData(X=df[["value"]].to_numpy(float), y=df["is_anomaly"].to_numpy(int),
                   feature_names=["value"], source=source,
                   columns={"series": df["series"].to_numpy(), "timestamp": df["timestamp"].to_numpy()})


@dataclass
class SeriesSplit(Split):
    """A :class:`Split` whose rows are windows and whose scores are per point.

    ``ts`` holds per-part point arrays: ``<part>_values`` (scaled),
    ``<part>_raw`` (as loaded), ``<part>_y``, ``<part>_group`` (series number),
    ``<part>_time`` and ``<part>_starts`` (window starts into that part's points).
    """

    ts: dict = field(default_factory=dict)
    family = "series"

    @property
    def window(self) -> int:
        return int(self.X_val.shape[1])

    @property
    def X_val_normal(self) -> np.ndarray:
        """Validation windows without any anomalous point (for early stopping)."""
        hit = windows.any_in_window(self.ts["val_y"], self.ts["val_starts"], self.window)
        return self.X_val[~hit]

    def points(self, part: str) -> int:
        return len(self.ts[f"{part}_y"])

    def to_scores(self, part: str, errors: np.ndarray) -> np.ndarray:
        """One score per point of ``part`` from per-position window errors. For the
        training part, only the normal points that training windows cover."""
        errors = np.asarray(errors, dtype=float)
        s = windows.to_points(errors.reshape(len(errors), -1), self.ts[f"{part}_starts"],
                              self.points(part))
        return s[~np.isnan(s)] if part == "train" else s

    def labels_of(self, part: str) -> np.ndarray:
        if part == "train":
            return np.zeros(int((self.ts["train_y"] == 0).sum()), int)
        return self.ts[f"{part}_y"]

    def row_labels(self, part: str) -> np.ndarray:
        return windows.any_in_window(self.ts[f"{part}_y"], self.ts[f"{part}_starts"],
                                     self.window).astype(int)

    def groups(self, part: str) -> np.ndarray:
        return self.ts[f"{part}_group"]

    def full(self, key: str = "values") -> pd.DataFrame:
        """All points of every series in time order, with their part: for detectors
        that look back in time (the rolling z-score) and for plots."""
        frames = [pd.DataFrame({"group": self.ts[f"{p}_group"], "time": self.ts[f"{p}_time"],
                                "value": self.ts[f"{p}_{key}"], "y": self.ts[f"{p}_y"], "part": p,
                                "i": np.arange(self.points(p))}) for p in PARTS]
        df = pd.concat(frames, ignore_index=True)
        order = {p: k for k, p in enumerate(PARTS)}
        return df.assign(o=df["part"].map(order)).sort_values(["group", "o", "i"], kind="stable") \
                 .drop(columns="o").reset_index(drop=True)

    def counts(self) -> pd.DataFrame:
        rows = {}
        for p, label in zip(PARTS, ("train", "validation", "test")):
            y = self.ts[f"{p}_y"]
            rows[label] = {"points": len(y), "anomalous points": int(y.sum()),
                           "anomaly share": round(float(y.mean()), 4),
                           "windows": len(self.inputs(p)),
                           "series": len(np.unique(self.ts[f"{p}_group"]))}
        df = pd.DataFrame(rows).T
        return df.rename(index={"train": "train (windows without anomalies)"})

    def arrays(self) -> dict[str, np.ndarray]:
        return {**super().arrays(), **{f"ts_{k}": v for k, v in self.ts.items()}}

    @classmethod
    def from_arrays(cls, arrays, info: dict | None = None) -> "SeriesSplit":
        ts = {k[3:]: v for k, v in arrays.items() if k.startswith("ts_")}
        rest = {k: v for k, v in arrays.items() if not k.startswith("ts_")}
        base = Split.from_arrays(rest, info)
        return cls(base.X_train, base.X_val, base.y_val, base.X_test, base.y_test,
                   base.train_anomaly_share, base.info, base.labels, ts=ts)


SCALINGS = ("minmax", "standard")


def check_split_options(window, train_stride, fractions, scaling: str = "minmax") -> None:
    if scaling not in SCALINGS:
        raise ParameterError(f"option scaling={scaling!r} is not valid; valid: {', '.join(SCALINGS)}")
    for name, value in (("window", window), ("train_stride", train_stride)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ParameterError(f"option {name}={value!r} is not valid; expected a whole number "
                                 "of points, at least 1")
    if window < 2:
        raise ParameterError(f"option window={window!r} is too short; a window needs at least 2 points")
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ParameterError(f"option fractions={fractions!r} is not valid; expected three positive "
                             "shares (train, validation, test) that add up to 1")


def sampling_interval(times) -> pd.Timedelta | None:
    """The usual time between two points (the median step), or None when the timestamps
    are not dates (e.g. Yahoo's plain indices)."""
    t = pd.to_datetime(pd.Series(np.asarray(times).astype(str)), errors="coerce")
    steps = t.diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    return None if t.isna().any() or steps.empty else steps.median()


def duration(td: pd.Timedelta) -> str:
    """A span of time in words: '5 minutes', '1 hour', '2 days', '90 minutes'."""
    seconds = int(round(td.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            k = seconds // size
            return f"{k:,} {unit}{'s' if k != 1 else ''}"
    return f"{td.total_seconds():g} seconds"


def event_spans(y: np.ndarray) -> str:
    """Where a series' labelled anomalies are, as positions and shares of its length."""
    n = len(y)
    spans = [f"{s:,}-{e - 1:,} ({s / n:.0%}-{e / n:.0%})" for s, e in events.runs(y)]
    return "points " + ", ".join(spans) if spans else "none"


def fit_boundaries(y: np.ndarray, fractions, window: int) -> tuple[int, int, str]:
    """Where one series' validation and test parts begin: at the shares ``fractions``
    when each part then holds a labelled anomaly; otherwise moved, in time order, to the
    nearest boundaries (the middle of the normal stretch before an event, or one window
    before or after an event) that give
    each part at least one while the training part keeps at least half its share.
    Returns the two positions and a sentence on what moved ("" if nothing). A series
    with too few events stops with a ValueError that names where they are and, if any,
    the ``fractions`` that would work."""
    y = np.asarray(y).astype(int)
    n = len(y)
    a0, b0 = int(n * fractions[0]), int(n * (fractions[0] + fractions[1]))

    def mixed(part):  # labelled anomalies and normal points both
        return part.any() and not part.all()

    def works(a, b, least_train):
        return (a >= least_train and b - a >= window and n - b >= window
                and int((y[:a] == 0).sum()) >= window and mixed(y[a:b]) and mixed(y[b:]))

    if works(a0, b0, window):
        return a0, b0, ""
    spans = events.runs(y)
    cuts, prev = {a0, b0}, 0
    for s, e in spans:  # the middle of the normal stretch before an event, or a window off it
        cuts |= {(prev + s) // 2, max(prev, s - window), min(n, e + window)}
        prev = e
    pairs = sorted(((a, b) for a in cuts for b in cuts if a < b),
                   key=lambda ab: (abs(ab[0] - a0) + abs(ab[1] - b0), ab))
    for a, b in pairs:
        if works(a, b, max(window, a0 // 2)):
            lacks = [p for p, part in (("validation", y[a0:b0]), ("test", y[b0:])) if not mixed(part)]
            why = (f"left the {' and '.join(lacks)} part without both labelled anomalies and "
                   "normal points" if lacks else f"left fewer than {window} normal training points")
            return a, b, (f"the split {tuple(fractions)} {why}, so the boundaries moved to points "
                          f"{a:,} and {b:,}: shares ({a / n:.2f}, {(b - a) / n:.2f}, {(n - b) / n:.2f})")
    usable = [(a, b) for a, b in pairs if works(a, b, window)]
    hint = (f"fractions=({usable[0][0] / n:.2f}, {(usable[0][1] - usable[0][0]) / n:.2f}, "
            f"{(n - usable[0][1]) / n:.2f}) would work" if usable else
            "it needs at least two labelled events after a training stretch of at least "
            f"{window} normal points: one for validation, one for the test")
    raise ValueError(f"the series ({n:,} points) has {len(spans)} labelled event(s): "
                     f"{event_spans(y)}; the validation and the test part need one each, and with "
                     f"the split {tuple(fractions)} and window {window} no boundaries give them "
                     f"that while training keeps at least half its share: {hint}")


def split_series(raw: RawData, window: int, train_stride: int = 1,
                 fractions=(0.6, 0.2, 0.2), scaling: str = "minmax") -> SeriesSplit:
    """Cut every series in time, scale it on its normal training points and make
    windows (see the module docstring). The options have passed ``check_split_options``."""
    series = np.asarray(raw.columns["series"])
    times = np.asarray(raw.columns["timestamp"]).astype(str)
    values, y = raw.X[:, 0].astype(float), raw.y.astype(int)
    parts = {p: {k: [] for k in ("values", "raw", "y", "group", "time")} for p in PARTS}
    names = list(dict.fromkeys(series.tolist()))
    too_short, moved = [], ""
    for g, name in enumerate(names):
        m = series == name
        v, yy, t = values[m], y[m], times[m]
        n = len(v)
        a = int(n * fractions[0])
        b = int(n * (fractions[0] + fractions[1]))
        if len(names) == 1 and min(a, b - a, n - b) >= window:
            # one series: its own events decide where its parts begin
            a, b, moved = fit_boundaries(yy, fractions, window)
        if min(a, b - a, n - b) < window:
            too_short.append(f"{name} ({n} points)")
            continue
        normal = v[:a][yy[:a] == 0]
        normal = normal if len(normal) else v[:a]
        if scaling == "minmax":
            mean, std = normal.min(), normal.max() - normal.min()
        else:
            mean, std = normal.mean(), normal.std()
        std = std if std > 0 else 1.0
        for p, sl in zip(PARTS, (slice(0, a), slice(a, b), slice(b, n))):
            parts[p]["values"].append((v[sl] - mean) / std)
            parts[p]["raw"].append(v[sl])
            parts[p]["y"].append(yy[sl])
            parts[p]["group"].append(np.full(len(v[sl]), g))
            parts[p]["time"].append(t[sl])
    if not parts["train"]["values"]:
        raise ValueError(f"every series is too short for window={window} with split "
                         f"{tuple(fractions)}: {', '.join(too_short[:5])}")
    ts = {}
    for p in PARTS:
        for k, chunks in parts[p].items():
            ts[f"{p}_{k}"] = np.concatenate(chunks)
        ts[f"{p}_values"] = ts[f"{p}_values"].astype("float32")
        ts[f"{p}_y"] = ts[f"{p}_y"].astype(int)
        stride = train_stride if p == "train" else 1
        starts = windows.starts(ts[f"{p}_group"], window, stride)
        if p == "train":  # the models never train on an anomalous point
            starts = starts[~windows.any_in_window(ts["train_y"], starts, window)]
        ts[f"{p}_starts"] = starts
    X = {p: windows.make(ts[f"{p}_values"], ts[f"{p}_starts"], window) for p in PARTS}
    y_val, y_test = ts["val_y"], ts["test_y"]
    for part, labels, why in (("validation", y_val, "no threshold can be chosen on it"),
                              ("test", y_test, "the report has nothing to find")):
        if labels.min() == labels.max():
            raise ValueError(
                f"the {part} part holds {'no' if labels.max() == 0 else 'only'} anomalous points "
                f"with the split {tuple(fractions)}, so {why}; pass options={{'fractions': "
                f"(train, val, test)}} that put labelled anomalies in both the validation and "
                f"the test part")
    n_all = sum(len(ts[f"{p}_y"]) for p in PARTS)
    shares = tuple(round(len(ts[f"{p}_y"]) / n_all, 2) for p in PARTS)
    info = {"source": raw.source, "series": len(names) - len(too_short), "window": window,
            "scaling (per series, on its normal training points)": scaling,
            "training stride": train_stride, "split (train, val, test)": str(shares),
            "training part anomalous points": int(ts["train_y"].sum())}
    if moved:
        info["split moved"] = moved
    if too_short:
        info["series skipped (too short)"] = ", ".join(too_short)
    # The validation part is a slice of time like the test part, not enriched with
    # anomalies, so its own share is the prior a threshold may assume.
    return SeriesSplit(X["train"], X["val"], y_val, X["test"], y_test,
                       train_anomaly_share=float(y_val.mean()), info=info, ts=ts)
