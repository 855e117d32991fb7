"""The UCI Statlog (Shuttle) table in the ODDS anomaly form (seed 004's lesson, the easy half).

Nine numeric sensor readings from a NASA space shuttle. The majority class ("Rad Flow") is
normal, the rare classes are the anomalies, and the second-largest class is left out: 49,097
rows, 3,511 anomalies (7.15%). The file ships inside the pinned ``river`` package
(``river/datasets/shuttle.csv.gz``; river is BSD-3-licensed, the data CC BY 4.0 from UCI);
the kit reads that file, checked by its SHA-256, and downloads nothing. It never imports
river itself.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from . import labelled
from .base import RawData, Split
from .files import check_shipped
from .labelled import (MODELS_NOTE, PROTOCOL, TRAINING_NOTE, protocol_note,
                       size_sentence, split)  # split: this dataset's

FILE = "datasets/shuttle.csv.gz"  # inside the river package
SHA256 = "1ed4bfa77233d95bff2c8ab2482725d2d800410daedf5919ad80ec6faf60ff59"
FEATURES = [f"f{i}" for i in range(1, 10)]
DOWNLOAD_NOTE = "the table ships inside the pinned river package"
OPTIONS = dict(PROTOCOL)
FIX = ("Reinstall the pinned package: .venv/bin/pip install --force-reinstall river==0.26.1 "
       "(or make distclean, then make run-all).")


def path() -> Path:
    """Where the pinned river package keeps the table (found without importing river)."""
    spec = importlib.util.find_spec("river")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the shuttle table ships inside the river package, which is not "
                                f"installed. {FIX}")
    return Path(list(spec.submodule_search_locations)[0]) / FILE


def check_options(options: dict) -> dict:
    return labelled.check_options("shuttle", options, OPTIONS)


def load(seed: int, quick: bool = False, options: dict | None = None) -> RawData:
    where = check_shipped(path(), SHA256, "the Statlog Shuttle table of river 0.26.1", FIX)
    df = pd.read_csv(where)
    return RawData(X=df[FEATURES].to_numpy("float32"), y=df["anomaly"].to_numpy(int),
                   feature_names=FEATURES, columns={"id": df.index.astype(str).to_numpy()},
                   source="UCI Statlog (Shuttle), ODDS form, as shipped in river 0.26.1")


def _about(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    size = size_sentence(raw, 2)
    return f"""
### Statlog (Shuttle): easy anomalies

Nine numeric sensor readings from a NASA space shuttle (UCI Machine Learning Repository,
Statlog (Shuttle), licence CC BY 4.0), in the form the anomaly-detection benchmarks use (ODDS):
the majority class ("Rad Flow") is normal, the rare classes are anomalies, and the
second-largest class is left out.{size} The table ships inside the pinned `river` package
(BSD-3 licence); the kit reads that one file, checked by its SHA-256, and downloads nothing.

{protocol_note(opts, split)}

Seed 004 planned this kind of lesson on a Kaggle table with about 11% anomalies. Its data is not
public; shuttle and `thyroid` are the two halves of the lesson it aimed at. Shuttle's anomalies
are known to be easy: in the anomaly-detection literature unsupervised detectors such as an
isolation forest find nearly all of them. Notebook 07 shows whether that holds in this run, and
what the labels add.
"""


NOTES = {"02_load": _about, "03_encoder": MODELS_NOTE, "05_compile": TRAINING_NOTE}
