"""Yahoo Webscope S5 format (seed 000): labelled hourly series, read from the
benchmark's folder layout.

The real benchmark is licensed by Yahoo and may not be redistributed, so the kit
never ships it. If ``data/yahoo/`` holds the unpacked folders, the loader reads
them (``options={"benchmark": "A1"}``, or A2, A3, A4):

- A1 ``A1Benchmark/real_1.csv ... real_67.csv`` and A2 ``A2Benchmark/synthetic_*.csv``
  with ``timestamp,value,is_anomaly``;
- A3/A4 ``A3Benchmark/A3Benchmark-TS*.csv`` with ``timestamps,value,anomaly,...``.

Otherwise the default is a *generated* benchmark in A1's layout and on A1's scale
(67 hourly series of about 1,400 points, about 1.8% anomalous points): trend, daily
and weekly seasonality and noise, with labelled spikes, dips, level shifts and
variance changes, generated deterministically from ``data_seed``, written to
``build/generated/`` in the same folder layout and read back through the same loader.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..checks import ParameterError, check_choice, check_int, check_known_options
from .base import RawData, Split
from .files import check_points, quote, read_csv, time_key
from .series import (THRESHOLD_NOTE, check_fractions, check_split_options, raw_from_frame,
                     split_series)

# benchmark -> (folder, file pattern, time column, label column)
LAYOUTS = {
    "A1": ("A1Benchmark", "real_*.csv", "timestamp", "is_anomaly"),
    "A2": ("A2Benchmark", "synthetic_*.csv", "timestamp", "is_anomaly"),
    "A3": ("A3Benchmark", "A3Benchmark-TS*.csv", "timestamps", "anomaly"),
    "A4": ("A4Benchmark", "A4Benchmark-TS*.csv", "timestamps", "anomaly"),
}
OPTIONS = {"benchmark": "A1", "window": 24, "train_stride": 6, "data_seed": 0,
           "fractions": (0.6, 0.2, 0.2), "scaling": "minmax"}
N_SERIES, QUICK_SERIES = 67, 8
DOWNLOAD_NOTE = ("the real Yahoo S5 benchmark's licence forbids redistribution: request it from "
                 "Yahoo Webscope and unpack it into data/yahoo/; until then a generated benchmark "
                 "in its layout is used")
ANOMALY_SHARE = 0.015  # the events overshoot it a little: about 1.8% of points

def title(opts: dict) -> str:
    if opts["benchmark"] == "A1":
        return "Yahoo S5 format: hourly series, A1 layout (seed 000)"
    return f"Yahoo S5 {opts['benchmark']} (seed 000)"


def _percent(share: float) -> str:
    return f"{share * 100:.4g}%"


def _source(raw: RawData | None, split: Split | None) -> str:
    return raw.source if raw is not None else (split.info.get("source", "") if split else "")


def _window_text(opts: dict) -> str:
    """The window, and in days where the points are hourly (A1's are, and the
    generated benchmark's, which is in A1's layout)."""
    w, option = opts["window"], '`options={"window": ...}`'
    if opts["benchmark"] != "A1":
        return f"{w} consecutive points ({option})"
    days = {24: "one day", 48: "two days", 168: "one week"}.get(w, f"{w} hours")
    return f"{w} consecutive points ({days}; {option})"


def _stride_text(opts: dict) -> str:
    s = opts["train_stride"]
    return (f"start every {s} points (`train_stride`, to save time on a laptop)" if s > 1
            else "start at every point (`train_stride` 1)")


def _note_load(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    train, val, test = (_percent(f) for f in opts["fractions"])
    data = ""
    if raw is not None:
        sizes = pd.Series(np.asarray(raw.columns["series"])).value_counts()
        data = (f" This run's data: {len(sizes)} series of {sizes.min():,} to {sizes.max():,} points, "
                f"{len(raw.y):,} in all, {raw.y.mean():.2%} of them labelled anomalous.")
    if opts["scaling"] == "minmax":
        scaling = ("Each series is scaled to [0, 1] with the range of its own normal training "
                   'points (`options={"scaling": "standard"}` standardises instead)')
    else:
        scaling = ("Each series is standardised (mean 0, spread 1) with its own normal training "
                   'points (`"scaling": "standard"`; the default, `"minmax"`, maps their range to '
                   "[0, 1])")
    return f"""
### Yahoo S5 format (seed 000)

Seed 000 used Yahoo's Webscope S5 benchmark, A1 part: 67 hourly series of real production
traffic, 94,866 points, 1.76% of them labelled anomalous. Yahoo's licence forbids
redistribution, so **the kit never ships it**. Unless `data/yahoo/` holds your own copy, the run
uses a *generated* benchmark in A1's layout and on its scale: hourly series with a trend, daily
and weekly seasonality and noise, and labelled **spikes, dips, level shifts and variance
changes**. The line `source:` above says which one this run used.{data}

The split is **chronological**: in every series the first {train} of the points is the training
part, the next {val} the validation part, the last {test} the test part. Shuffling points across
time would let a model see the future. {scaling}, so that a series measured in millions and one
measured in tens get the same footing.

The models read **windows** of {_window_text(opts)}. Training windows
{_stride_text(opts)} and contain no anomalous point. Validation and test windows start
at every point, and each point's score is the mean error of the windows that cover it.
"""


def _note_encoder(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    if opts["scaling"] == "minmax":
        level = ("The series are scaled to [0, 1] on their normal training points, so a sigmoid "
                 "can reproduce every level seen in training and none beyond it: an unusually high "
                 "or low level stays in the error, instead of being copied through.")
    else:
        level = ('This run standardises the series (`"scaling": "standard"`), so many normal '
                 "training values lie outside [0, 1], out of a sigmoid's reach, and stay in "
                 "`ts_kit`'s error too. With the default min-max scaling to [0, 1], a sigmoid "
                 "reproduces every level seen in training and none beyond it.")
    return f"""
Seed 000's four variants, here on windows of {opts['window']} points instead of its single (time,
value) pairs: `ts_dense` (64-32-16, ReLU), `ts_lstm` (an LSTM encoder-decoder with 64 units),
`ts_deep_tanh` (128-64-32-16, tanh) and `ts_leaky_dropout` (the same with LeakyReLU and dropout
0.2), with a linear output (seed 000 put a ReLU there). `ts_kit` is the kit's own: a narrow tanh
bottleneck of 8 and a **sigmoid** output. {level}
"""


def _note_compile(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    from .. import architectures  # noqa: PLC0415

    cap = architectures.get("ts_lstm").max_epochs
    s = opts["train_stride"]
    windows = (f"on windows taken every {s} points (`train_stride`)" if s > 1
               else "on windows starting at every point (`train_stride` 1)")
    return f"""
The LSTM reads a window one step at a time, which is slow on a CPU: it is capped at {cap} epochs
(`max_epochs` in `helpers/architectures.py`), and every model trains {windows}.
"""


def _note_report(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    w = opts["window"]
    events = ("The generated benchmark's events are spikes, dips, level shifts and variance "
              "changes: a spike or dip can stand out against the rest of its window, a level "
              "shift or variance change mainly where a window straddles its start or end."
              if "generated" in _source(raw, split) else
              "A short event can stand out against the rest of its window; a change that lasts "
              "longer than a window shows mainly where a window straddles its start or end.")
    return f"""
- A windowed model sees the *shape* around a point, {w} points at a time. {events}
- Read every event figure against the random score's: on long events a few random flags can
  already "find" many of them.
- Seed 000 reported accuracy (93-94%) and `precision_score(preds, y_test, average='micro')`,
  which is accuracy again; its confusion matrices show 5 to 46 of about 950 anomalies found.
"""


# What the notebooks say about this dataset, by notebook (functions: written from the
# run's options and data).
NOTES = {
    "02_load": _note_load,
    "03_encoder": _note_encoder,
    "05_compile": _note_compile,
    "06_threshold": THRESHOLD_NOTE,
    "07_report": _note_report,
}


def check_options(options: dict) -> dict:
    opts = check_known_options("yahoo", options, OPTIONS)
    check_choice("benchmark", opts["benchmark"], list(LAYOUTS))
    check_split_options(opts["window"], opts["train_stride"], check_fractions(opts["fractions"]),
                        opts["scaling"])
    check_int("data_seed", opts["data_seed"], minimum=0)
    return opts


def _number(path: Path) -> int:
    found = re.findall(r"\d+", path.stem)
    return int(found[-1]) if found else 0


def files(folder: Path, benchmark: str) -> list[Path]:
    sub, pattern, _, _ = LAYOUTS[benchmark]
    return sorted((Path(folder) / sub).glob(pattern), key=_number)


def read_file(path: Path, benchmark: str) -> pd.DataFrame:
    """One benchmark file as ``series, timestamp, value, is_anomaly``. An empty or non-CSV
    file, a missing column, a missing, repeated or out-of-order timestamp, a missing or
    infinite value, a label other than 0 or 1: each is refused, naming the file and row."""
    _, _, time_col, label_col = LAYOUTS[benchmark]
    where = paths.show(path)
    expected = (f"Yahoo's {benchmark} layout: a header {time_col},value,{label_col} and one row per "
                "point, in time order")
    fix = "Replace it with the file from Yahoo's S5 archive."
    df = read_csv(path, (time_col, "value", label_col), expected, fix)
    check_points(where, df[time_col], time_key(df[time_col]), df["value"], fix=fix)
    labels = pd.to_numeric(df[label_col], errors="coerce")
    if not labels.isin([0, 1]).all():
        i = int(np.flatnonzero(~labels.isin([0, 1]).to_numpy())[0])
        what = (f"has no {label_col} label" if pd.isna(df[label_col].iloc[i]) else
                f"has {label_col} {quote(df[label_col].iloc[i])}, not 0 or 1")
        raise ValueError(f"{where}: row {i + 1} {what}; expected {expected}. {fix}")
    return pd.DataFrame({"series": path.stem, "timestamp": df[time_col], "value": df["value"],
                         "is_anomaly": df[label_col]})


def read_benchmark(folder: Path, benchmark: str = "A1", limit: int | None = None) -> pd.DataFrame:
    found = files(folder, benchmark)[:limit]
    if not found:
        sub, pattern, _, _ = LAYOUTS[benchmark]
        raise FileNotFoundError(f"no {pattern} files in {paths.show(Path(folder) / sub)}")
    return pd.concat([read_file(p, benchmark) for p in found], ignore_index=True)


def _events(rng, n: int, target: int) -> list[tuple[str, int, int]]:
    """Non-overlapping (event, start, length) anomalies covering about ``target`` points."""
    out, used, covered = [], np.zeros(n, bool), 0
    while covered < target:
        event = rng.choice(["spike", "dip", "level_shift", "variance"], p=[0.35, 0.25, 0.2, 0.2])
        length = {"spike": 1, "dip": 1}.get(event) or int(rng.integers(6, 18))
        for _ in range(50):
            start = int(rng.integers(48, n - length - 1))
            if not used[max(0, start - 24): start + length + 24].any():
                break
        else:
            break
        used[start:start + length] = True
        out.append((str(event), start, length))
        covered += length
    return out


def generate_series(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """One hourly series with labelled anomalies: level, trend, daily and weekly
    seasonality, noise; spikes, dips, level shifts and variance changes."""
    t = np.arange(n)
    scale = 10 ** rng.uniform(1, 4)
    daily = rng.uniform(0.1, 0.6) * scale * np.sin(2 * np.pi * t / 24 + rng.uniform(0, 2 * np.pi))
    weekly = rng.uniform(0, 0.3) * scale * np.sin(2 * np.pi * t / 168 + rng.uniform(0, 2 * np.pi))
    trend = rng.normal(0, 0.3) * scale * t / n
    noise_sd = rng.uniform(0.03, 0.12) * scale
    noise = rng.normal(0, noise_sd, n)
    value = 2 * scale + trend + daily + weekly
    spread = np.std(daily + weekly + noise) + noise_sd
    y = np.zeros(n, int)
    target = max(2, int(round(ANOMALY_SHARE * n * rng.uniform(0.6, 1.4))))
    for event, start, length in _events(rng, n, target):
        sl = slice(start, start + length)
        if event == "spike":
            value[sl] += rng.uniform(2.5, 5) * spread
        elif event == "dip":
            value[sl] -= rng.uniform(2.5, 5) * spread
        elif event == "level_shift":
            value[sl] += rng.choice([-1, 1]) * rng.uniform(1.2, 2.5) * spread
        else:
            noise[sl] *= rng.uniform(4, 7)
        y[sl] = 1
    return np.maximum(value + noise, 0), y


def generate(folder: Path, data_seed: int = 0, n_series: int = N_SERIES) -> Path:
    """Write a benchmark in A1's layout (``A1Benchmark/real_<i>.csv``) to ``folder``."""
    target = Path(folder) / LAYOUTS["A1"][0]
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("real_*.csv"):
        old.unlink()
    for i in range(1, n_series + 1):
        rng = np.random.default_rng([data_seed, i])
        n = int(rng.integers(1380, 1462))
        value, y = generate_series(rng, n)
        pd.DataFrame({"timestamp": np.arange(1, n + 1), "value": np.round(value, 3),
                      "is_anomaly": y}).to_csv(target / f"real_{i}.csv", index=False)
    return Path(folder)


def data_folder() -> Path:
    return paths.data_dir() / "yahoo"


def load(seed: int, quick: bool = False, options: dict | None = None) -> RawData:
    opts = {**OPTIONS, **(options or {})}
    limit = QUICK_SERIES if quick else None
    real = data_folder()
    if files(real, opts["benchmark"]):
        df = read_benchmark(real, opts["benchmark"], limit)
        source = f"Yahoo S5 {opts['benchmark']} from {paths.show(real)} ({df['series'].nunique()} series)"
    else:
        if opts["benchmark"] != "A1":  # the generated benchmark has A1's layout only
            found = [b for b in LAYOUTS if files(real, b)] if real.exists() else []
            raise FileNotFoundError(f"no {opts['benchmark']} files in {paths.show(real)}; "
                                    f"found benchmarks: {found or 'none'}. Unpack Yahoo's S5 "
                                    "archive there, or use benchmark A1 (the generated one "
                                    "has A1's layout only).")
        folder = paths.build_dir() / "generated" / f"yahoo_seed{opts['data_seed']}"
        generate(folder, opts["data_seed"], limit or N_SERIES)
        df = read_benchmark(folder, "A1")
        source = (f"generated benchmark in Yahoo A1's layout ({df['series'].nunique()} series, "
                  f"data_seed {opts['data_seed']}; the real one is not redistributable)")
    return raw_from_frame(df, source)


def split(raw: RawData, seed: int, quick: bool = False, options: dict | None = None) -> Split:
    opts = {**OPTIONS, **(options or {})}
    return split_series(raw, opts["window"], opts["train_stride"], tuple(opts["fractions"]),
                        opts["scaling"])
