"""annthyroid, the UCI Thyroid Disease table in the anomaly-detection form (seed 004's lesson,
the hard half): 7,200 patients, 21 features scaled to [0, 1], 534 anomalies (7.4%). It ships
with the kit in ``data/thyroid/`` (CC BY 4.0; source in ``data/thyroid/README.md``), checked by
its SHA-256. The kit's ``csv`` route reads the same file the same way."""
from __future__ import annotations

from pathlib import Path

from .. import paths
from . import labelled
from .base import RawData, Split
from .files import check_shipped
from .labelled import (MODELS_NOTE, PROTOCOL, TRAINING_NOTE, protocol_note,
                       read_labelled_csv, size_sentence, split)  # split: this dataset's

FILE = "data/thyroid/annthyroid_21feat_normalised.csv"  # in the kit's folder
SHA256 = "e99d27d8d34ef4c6af1bd5fa76d9c0d39de8b1321f67955e2d3fc65747887fc8"
LABEL = "class"
DOWNLOAD_NOTE = "the table ships with the kit in data/thyroid/ (SHA-256-checked)"
OPTIONS = dict(PROTOCOL)
FIX = "It ships with the kit: restore it with `git checkout -- data/thyroid`."


def path() -> Path:
    return paths.project_root() / FILE


def check_options(options: dict) -> dict:
    return labelled.check_options("thyroid", options, OPTIONS)


def load(seed: int, quick: bool = False, options: dict | None = None) -> RawData:
    where = check_shipped(path(), SHA256, "the annthyroid table", FIX)
    return read_labelled_csv(where, LABEL, source=f"UCI Thyroid Disease (annthyroid), {FILE}")


def _about(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    size = size_sentence(raw, 1)
    return f"""
### annthyroid: anomalies that are hard to find without labels

Thyroid examinations of patients (UCI Machine Learning Repository, Thyroid Disease, licence
CC BY 4.0), in the form the anomaly-detection literature uses: 21 features scaled to [0, 1], 15
of them yes/no answers, and the two rare diagnoses (hyperfunction, subnormal) as
anomalies.{size} It ships with the kit in `data/thyroid/`, with its source and licence.

{protocol_note(opts, split)}

In the anomaly-detection literature unsupervised detectors find few of annthyroid's anomalies
(PR-AUC of about 0.1 to 0.3): many look like ordinary patients in most features. This is where
a few labels should pay; notebook 07 answers whether they do in this run.
"""


NOTES = {"02_load": _about, "03_encoder": MODELS_NOTE, "05_compile": TRAINING_NOTE}
