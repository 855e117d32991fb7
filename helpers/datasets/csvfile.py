"""``csv``: the user's own labelled table, run through the whole kit with options only.

    OPTIONS='{"csv": {"path": "data/creditcard.csv", "label": "Class"}}'

``path`` is relative to the kit's folder (or absolute); ``label`` names the 0/1 column (1 =
anomaly); ``id`` optionally names a column of row ids (for the submission file; default: the
row number); ``drop`` lists columns to leave out; ``contamination`` and
``labelled_anomalies`` set the few-labels split (``labelled.py``). Without options it reads
the annthyroid table that ships with the kit, as an example. ``labelled.read_labelled_csv``
says what it does with text columns and missing values.
"""
from __future__ import annotations

from pathlib import Path

from .. import paths
from ..checks import ParameterError
from . import labelled
from .base import RawData, Split
from .labelled import (MODELS_NOTE, PROTOCOL, TRAINING_NOTE, protocol_note,
                       read_labelled_csv, reading_note, split)  # split: this dataset's
from .thyroid import FILE as EXAMPLE

DOWNLOAD_NOTE = "it reads the CSV you name with OPTIONS"
OPTIONS = {"path": EXAMPLE, "label": "class", "id": None, "drop": [], **PROTOCOL}


def resolve(path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else paths.project_root() / p


def check_options(options: dict) -> dict:
    opts = labelled.check_options("csv", options, OPTIONS)
    if not isinstance(opts["path"], str) or not opts["path"].strip():
        raise ParameterError(f"option path={opts['path']!r} is not valid for csv; expected the path "
                             "of a labelled CSV file, e.g. 'data/creditcard.csv'")
    if not isinstance(opts["label"], str) or not opts["label"]:
        raise ParameterError(f"option label={opts['label']!r} is not valid for csv; expected the "
                             "name of the 0/1 label column, e.g. 'Class'")
    if opts["id"] is not None and not isinstance(opts["id"], str):
        raise ParameterError(f"option id={opts['id']!r} is not valid for csv; expected the name of "
                             "a column of row ids, or None for the row number")
    drop = opts["drop"]
    if not (isinstance(drop, (list, tuple)) and all(isinstance(c, str) for c in drop)):
        raise ParameterError(f"option drop={drop!r} is not valid for csv; expected a list of column "
                             "names, e.g. ['Time']")
    if opts["label"] in drop or (opts["id"] and opts["id"] in drop):
        raise ParameterError(f"option drop={drop!r} names the label or id column; those are never "
                             "features, so leave them out of drop")
    return {**opts, "drop": list(drop)}


def title(opts: dict) -> str:
    return f"Your labelled table: {opts['path']}"


def missing(options: dict | None = None) -> list[Path]:
    opts = {**OPTIONS, **(options or {})}
    p = resolve(opts["path"])
    return [] if p.exists() else [p]


def load(seed: int, quick: bool = False, options: dict | None = None) -> RawData:
    opts = {**OPTIONS, **(options or {})}
    return read_labelled_csv(resolve(opts["path"]), opts["label"], opts["id"], opts["drop"])


def _about(opts: dict, raw: RawData | None = None, split: Split | None = None) -> str:
    example = (" (the kit's example: the annthyroid table; give your own with "
               "`options={'path': ..., 'label': ...}`)" if opts["path"] == EXAMPLE else "")
    ids = (f"the ids come from its column `{opts['id']}`" if opts["id"]
           else "the row numbers (from 0) are the ids")
    return f"""
### Your labelled table: `{opts['path']}`{example}

The label column is `{opts['label']}` (1 = anomaly, 0 = normal); {ids}, and they name the rows of
the submission file that notebook 07 writes. Numeric columns are used as they are; a text
column with few distinct values becomes one 0/1 column per value; a row with a missing value is
left out and counted.{(' Left out on request: ' + ', '.join(f'`{c}`' for c in opts['drop']) + '.') if opts['drop'] else ''}
{reading_note(raw)}

{protocol_note(opts, split)}
"""


NOTES = {"02_load": _about, "03_encoder": MODELS_NOTE, "05_compile": TRAINING_NOTE}
