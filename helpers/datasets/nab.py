"""NAB, the Numenta Anomaly Benchmark (seed 002; MIT licence).

The kit ships the default series and its label windows in ``data/nab/`` in NAB's own
layout (``data/<category>/<file>.csv`` and ``labels/combined_windows.json``; MIT
licence, see ``data/nab/README.md``); ``make data`` verifies them by checksum and
fetches them again if they are gone. A point is anomalous when it
lies inside one of the file's labelled anomaly windows. The default series is
``realKnownCause/ambient_temperature_system_failure.csv`` (seed 002); any NAB file
placed under ``data/nab/data/`` can be chosen with ``options={"file": ...}``.

Nothing is downloaded at import or load time: without the files (another NAB file, or
a data folder moved with ``ANOMALY_KIT_DATA``), loading stops with a message that says
how to get them, and ``make run-all`` skips this dataset with a line in its summary.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..checks import ParameterError, check_known_options
from .base import RawData, Split
from .files import check_points, read_csv
from .series import (THRESHOLD_NOTE, check_fractions, check_split_options, raw_from_frame,
                     split_series)

DEFAULT_FILE = "realKnownCause/ambient_temperature_system_failure.csv"
LABELS = "labels/combined_windows.json"
NAB_COMMIT = "450b94906d3ea4cea43bdc6e63a1775a29c45954"
_RAW = f"https://raw.githubusercontent.com/numenta/NAB/{NAB_COMMIT}"
DOWNLOADS = (
    (f"{_RAW}/data/{DEFAULT_FILE}", f"data/{DEFAULT_FILE}",
     "230b68ccca20f59d562afd5d24ad52939c9b784386bed0054018358bf9120581"),
    # NAB's label file covers every series and grows between versions; what the kit
    # relies on, the default series' windows, is what its checksum covers.
    (f"{_RAW}/{LABELS}", LABELS,
     f"json:{DEFAULT_FILE}=c4988269446d23ed8eabbc7b7681a6847272fde5cc4525c076982380cf341785"),
)
# The ambient temperature series has its two anomaly windows at about 49-54% and
# 83-87% of its length: train on the first 45%, validate on the next 25% (one
# window), test on the last 30% (the other).
OPTIONS = {"file": DEFAULT_FILE, "window": 48, "train_stride": 1, "fractions": (0.45, 0.25, 0.30),
           "scaling": "minmax"}
# What a NAB series file must look like, and what to do about one that does not.
EXPECTED = "NAB's layout: a header timestamp,value and one row per point, in time order"
FIX = "Replace it with NAB's original (the kit ships the default series; `make data` fetches it again)."
# What ``make data`` says when it cannot download NAB's files.
OFFLINE_NOTE = ("the kit ships the default series in data/nab/; make run-all skips nab only while "
                "its files are missing there: run `make data` online, "
                "or copy NAB's data/ and labels/ folders there.")


class MissingDataError(FileNotFoundError):
    """The NAB files are not in ``data/nab/``."""


# What is known of a NAB file beyond its name; NAB's files carry no unit.
KNOWN = {DEFAULT_FILE: "ambient temperatures in an office, with a system failure (seed 002's series)"}


def title(opts: dict) -> str:
    return f"NAB: {KNOWN.get(opts['file'], opts['file'])}"


def _about(opts: dict, raw=None, split=None) -> str:
    """02's note, written from the file actually loaded."""
    from .. import events  # noqa: PLC0415
    from .series import duration, event_spans, sampling_interval  # noqa: PLC0415

    if raw is None:  # nothing loaded: what the options alone say
        return (f"### NAB: `{opts['file']}`\n\nThe Numenta Anomaly Benchmark (MIT licence) labels "
                "anomalies as **windows** of time around each known event. The split is "
                f"chronological (asked-for shares {tuple(opts['fractions'])}), and the models read "
                f"windows of {opts['window']} points.")
    y = np.asarray(raw.y)
    n, spans = len(y), events.runs(y)
    step = sampling_interval(raw.columns["timestamp"])
    times = pd.to_datetime(pd.Series(raw.columns["timestamp"]))
    sizes = sorted({e - s for s, e in spans})
    what = KNOWN.get(opts["file"], "a series in NAB's layout, with no unit given")
    every = "irregular points"
    if step is not None:
        every = "one point every " + duration(step).removeprefix("1 ")
    span = (f" ({duration(step * opts['window'])})" if step is not None else "")
    k = opts["train_stride"]
    stride = "every point" if k == 1 else f"every {k}th point"
    plural = "s" if len(spans) != 1 else ""
    windows = (f"Its {len(spans)} labelled window{plural} of {' or '.join(f'{k:,}' for k in sizes)} "
               f"points ({event_spans(y).removeprefix('points ')}) hold {y.mean():.1%} of the "
               f"points, in just **{len(spans)} event{plural}**." if spans else
               "It has **no labelled window**, so no threshold can be chosen on it.")
    return f"""
### NAB: `{opts['file']}`

The Numenta Anomaly Benchmark (MIT licence) labels anomalies as **windows** of time around each
known event; every point inside a window counts as anomalous. This run's file holds {what}:
{n:,} points from {times.iloc[0]:%Y-%m-%d} to {times.iloc[-1]:%Y-%m-%d}, {every}. {windows}
The kit ships NAB's default series in `data/nab/` (MIT licence; `data/nab/README.md` gives the
source); other NAB files are copied into `data/nab/data/`, with NAB's label file.

The split is **chronological**: training on the first part of the series, validation on the
next (thresholds are chosen there), test on the last; shuffling points across time would let a
model see the future. The options ask for the shares {tuple(opts['fractions'])}; where that
would leave the validation or the test part without a labelled window, the boundaries move
to the nearest ones that give each part one, and the table after the split says so. The
series is scaled with its training part's normal points ({opts['scaling']} scaling).

The models read **windows** of {opts['window']} points{span}; in training one starts at
{stride}, and each point's score is the mean error of the windows that cover it.
"""


def _report(opts: dict, raw=None, split=None) -> str:
    """07's note, with the run's own number of test events."""
    from .. import events  # noqa: PLC0415

    n_events = len(events.runs(split.y_test)) if split is not None else None
    value = "temperatures" if opts["file"] == DEFAULT_FILE else "values"
    if n_events is None:
        coarse = "Event figures are coarse when a test part holds few events"
    elif n_events == 1:
        coarse = ("The test part holds 1 labelled event, so every event figure is all or "
                  "nothing: event recall is 0 or 1")
    else:
        coarse = (f"The test part holds {n_events} labelled events, so event figures are coarse: "
                  f"finding one event is an event recall of {1 / n_events:.2g}")
    return f"""
- A pointwise model, which only knows how usual a *value* is, is a strong rival wherever the
  anomalies are unusual {value}: a windowed model must keep the level, not just the shape, to
  beat it.
- {coarse}. The random score's row shows how much of an event figure is luck, and the flagged
  share beside it shows what a high event recall cost.
- Seed 002 compared its predictions with themselves (precision = recall = F1 = 1.0) and flagged
  the top 1% of scores, whatever the data.
"""


NOTES = {
    "02_load": _about,
    "03_encoder": """
Seed 000's four windowed variants (`ts_dense`, `ts_lstm`, `ts_deep_tanh`, `ts_leaky_dropout`)
run here too, with the kit's `ts_kit` (a tanh bottleneck of 8 and a sigmoid output). Seed 002
used a *pointwise* model, Input(1) → Dense(10, relu) → Dense(1): it sees one value at a time. It
is trained in notebook 07 as the baseline the windowed models must beat, next to a rolling
z-score and a random score.
""",
    "05_compile": """
The pitfall below is seed 002's own recipe: its pointwise model on the *raw* values with a
ReLU output unit. With one output unit, a ReLU can die at initialisation: if its input is
negative for every value, the output is 0 and its gradient is 0, so training cannot
revive it. The "reconstruction error" is then the squared value itself.
""",
    "06_threshold": THRESHOLD_NOTE,
    "07_report": _report,
}


def check_options(options: dict) -> dict:
    opts = check_known_options("nab", options, OPTIONS)
    if not isinstance(opts["file"], str) or not opts["file"].endswith(".csv"):
        raise ParameterError(f"option file={opts['file']!r} is not valid; expected a NAB file such "
                             f"as {DEFAULT_FILE!r}")
    check_split_options(opts["window"], opts["train_stride"], check_fractions(opts["fractions"]),
                        opts["scaling"])
    return opts


def folder() -> Path:
    return paths.data_dir() / "nab"


def missing(options: dict | None = None) -> list[Path]:
    """The files this dataset needs that are not in ``data/nab/``."""
    opts = {**OPTIONS, **(options or {})}
    return [p for p in (folder() / "data" / opts["file"], folder() / LABELS) if not p.exists()]


def windows_of(labels_path: Path, file: str) -> list[tuple[str, str]]:
    where = paths.show(labels_path)
    fix = "Replace it with NAB's labels/combined_windows.json (`make data` fetches it)."
    try:
        doc = json.loads(Path(labels_path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{where}: not valid JSON ({err}). {fix}") from err
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: holds a JSON {type(doc).__name__}; expected NAB's object that maps "
                         f"each file to its anomaly windows. {fix}")
    if file not in doc:
        raise ValueError(f"{where} has no windows for {file!r}; it labels "
                         f"{len(doc)} files, e.g. {sorted(doc)[:3]}. Choose one of them with "
                         f"options={{'file': ...}}, or {fix[0].lower()}{fix[1:]}")
    found = doc[file]
    for w in found if isinstance(found, list) else [found]:
        if not (isinstance(w, list) and len(w) == 2 and all(isinstance(d, str) for d in w)
                and not pd.isna(pd.to_datetime(w, errors="coerce")).any()):
            raise ValueError(f"{where}: window {w!r} of {file!r} is not valid; expected a pair of "
                             f"dates [start, end]. {fix}")
    return [tuple(w) for w in found]


def read_series(csv_path: Path, windows: list[tuple[str, str]], name: str) -> pd.DataFrame:
    """One NAB file as ``series, timestamp, value, is_anomaly``. An empty or non-CSV file,
    a missing column, a timestamp that is not a date, a repeated or out-of-order
    timestamp, a missing or infinite value: each is refused, naming the file and row."""
    where = paths.show(csv_path)
    df = read_csv(csv_path, ("timestamp", "value"), EXPECTED, FIX)
    t = pd.to_datetime(df["timestamp"], errors="coerce")
    if t.isna().any():
        bad = df.loc[t.isna(), "timestamp"].iloc[0]
        raise ValueError(f"{where}: timestamp {bad!r} in row {int(t.isna().to_numpy().argmax()) + 1} "
                         f"is not a date; expected {EXPECTED}. {FIX}")
    check_points(where, df["timestamp"], t, df["value"], fix=FIX)
    y = np.zeros(len(df), int)
    for start, end in windows:
        y[((t >= pd.Timestamp(start)) & (t <= pd.Timestamp(end))).to_numpy()] = 1
    return pd.DataFrame({"series": name, "timestamp": t.dt.strftime("%Y-%m-%d %H:%M"),
                         "value": df["value"], "is_anomaly": y})


def load(seed: int, quick: bool = False, options: dict | None = None) -> RawData:
    opts = {**OPTIONS, **(options or {})}
    gone = missing(opts)
    if gone:
        raise MissingDataError(
            f"NAB data not found: {', '.join(paths.show(p) for p in gone)}. Run `make data` on a "
            "machine with internet access to download it (checksum-verified), or copy NAB's "
            f"data/ and labels/ folders into {paths.show(folder())}/. The kit ships only the default "
            "series.")
    df = read_series(folder() / "data" / opts["file"], windows_of(folder() / LABELS, opts["file"]),
                     Path(opts["file"]).stem)
    return raw_from_frame(df, f"NAB {opts['file']} from {paths.show(folder())}")


def split(raw: RawData, seed: int, quick: bool = False, options: dict | None = None) -> Split:
    opts = {**OPTIONS, **(options or {})}
    return split_series(raw, opts["window"], opts["train_stride"], tuple(opts["fractions"]),
                        opts["scaling"])
