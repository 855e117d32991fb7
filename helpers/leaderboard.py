"""A Kaggle-style submission file and a leaderboard that scores it.

Notebook 07 writes a detector's test scores with :func:`write_submission`; an instructor
scores a student's file against the withheld test labels of a run folder::

    python -m helpers.leaderboard SUBMISSION [--dataset NAME] [--run-dir DIR]

A submission is a CSV file with the header ``id,score`` and one row per test row, any
row order; a higher score means "more anomalous". The rules :func:`read_submission`
enforces, with a message that names the file, the problem and up to three examples:

- the file must exist and be UTF-8 text in CSV form (not empty, binary or HTML);
- its header is exactly the columns ``id`` and ``score`` (either order, whitespace
  around names ignored). Extra columns are refused rather than ignored, so that a
  pandas index written by mistake (an unnamed first column) or a second score column
  never passes unnoticed;
- every test id exactly once: no duplicate ids, no ids that are not test rows, none
  missing. Ids are compared as written strings after stripping whitespace: ``7`` in the
  file matches the test id ``7`` (int) or ``"7"``, but ``007`` does not match ``7``;
- every score a finite number (no text, empty cell, NaN or infinity).

The answers come from the run folder that notebook 02 wrote (:func:`answers`). Only the
standard library and NumPy load with this module; pandas and scikit-learn load when a
file is read or scored, and TensorFlow never: the command answers in about two seconds.
"""
from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import paths

COLUMNS = ("id", "score")


class SubmissionError(ValueError):
    """A submission file the leaderboard refuses; the message starts with its path."""


class MissingAnswersError(FileNotFoundError):
    """The run folder holds no test labels yet (notebooks 01-02 have not run)."""


def _keys(ids) -> list[str]:
    """Test ids as the strings a submission is compared with; they must be unique."""
    keys = [str(i).strip() for i in ids]
    if len(set(keys)) != len(keys):
        raise ValueError("the test ids are not unique (as stripped strings)")
    return keys


def _eg(items) -> str:
    """At most three examples, with "..." when there are more."""
    items = list(items)
    return ", ".join(items[:3]) + (", ..." if len(items) > 3 else "")


def _where(path) -> str:
    """A folder or file for a message: relative to the kit when inside it, else in full
    (the leaderboard is the instructor's tool, run on their own machine)."""
    path = Path(path).resolve()
    return paths.show(path) if paths.is_inside(path, paths.project_root()) else str(path)


def write_submission(path, ids, scores) -> Path:
    """Write ``id,score`` rows in test order to ``path`` and return it as a Path. Scores
    are written with ``repr`` so that they read back exactly; the file appears whole or
    not at all (written beside it, then renamed); the parent folder is created."""
    keys = _keys(ids)
    values = [float(s) for s in np.asarray(scores, dtype=float).ravel()]
    if len(values) != len(keys):
        raise ValueError(f"{len(keys)} ids but {len(values)} scores")
    bad = [f"{k!r}: {v!r}" for k, v in zip(keys, values) if not math.isfinite(v)]
    if bad:
        raise ValueError(f"scores that are not finite numbers ({len(bad):,}): {_eg(bad)}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(COLUMNS)
            out.writerows((k, repr(v)) for k, v in zip(keys, values))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _text(path, refuse) -> str:
    """The file's text, or a refusal saying why it is not a CSV file."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        refuse("the file does not exist")
    except IsADirectoryError:
        refuse("is a folder, not a file")
    except OSError as err:
        refuse(f"the file cannot be read ({err.strerror or err})")
    if not data.strip():
        refuse("the file is empty")
    if b"\x00" in data[:65536] or data.startswith(b"PK\x03\x04"):
        refuse("the file is binary, not CSV text (an Excel workbook? save it as CSV)")
    try:
        text = data.decode("utf-8-sig")  # Excel's byte-order mark is tolerated
    except UnicodeDecodeError as err:
        refuse(f"the file is not UTF-8 text (byte {err.start} cannot be decoded)")
    if text.lstrip().startswith("<"):
        refuse("the file looks like HTML or XML, not CSV (a saved web page?)")
    return text


def read_submission(path, ids) -> "pandas.Series":  # noqa: F821
    """The scores of the submission at ``path`` as a float Series indexed by id (as a
    string), in the order of the test ids ``ids``. A file that breaks a rule (see the
    module's docstring) raises :class:`SubmissionError` naming every problem found."""
    import pandas as pd  # noqa: PLC0415  (kept out of the command's start-up)

    keys = _keys(ids)
    valid = (f"A valid submission is a CSV with the header id,score and one row per "
             f"test row ({len(keys):,} rows).")

    def refuse(*problems):
        raise SubmissionError(f"{os.fspath(path)}: {'; '.join(problems)}. {valid}")

    reader = csv.reader(io.StringIO(_text(path, refuse)))
    try:  # (line number, stripped cells); blank lines are skipped
        rows = [(reader.line_num, cells) for cells in ([c.strip() for c in r] for r in reader)
                if any(cells)]
    except csv.Error as err:
        refuse(f"the file is not valid CSV (line {reader.line_num}: {err})")
    if not rows:
        refuse("the file has no header and no rows")
    (_, header), body = rows[0], rows[1:]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        hint = (" (separate the columns with commas)"
                if len(header) == 1 and any(s in header[0] for s in ";\t") else "")
        refuse(f"no {' or '.join(missing)} column (columns found: "
               f"{', '.join(map(repr, header))}){hint}")
    extra = list(header)
    for c in COLUMNS:
        extra.remove(c)
    if extra:
        hint = ("; an unnamed first column is usually a pandas index: write it with "
                "index=False" if "" in extra else "")
        refuse(f"extra columns {_eg(map(repr, extra))} (only id and score are allowed{hint})")
    i_id, i_score = header.index("id"), header.index("score")

    ragged = [f"line {n} has {len(r)} fields" for n, r in body if len(r) != len(header)]
    if ragged:
        refuse(f"rows without {len(header)} fields ({len(ragged):,}): {_eg(ragged)}")

    lines, scores, bad = {}, {}, []
    for n, row in body:
        key, text = row[i_id], row[i_score]
        lines.setdefault(key, []).append(n)
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            bad.append(f"line {n} id {key!r}: {text!r}")
        scores[key] = value
    expected = set(keys)
    dup = [f"{k!r} (lines {', '.join(map(str, ns))})" for k, ns in lines.items() if len(ns) > 1]
    unknown = [repr(k) for k in lines if k not in expected]
    absent = [repr(k) for k in keys if k not in lines]
    problems = []
    if dup:
        problems.append(f"duplicate ids ({len(dup):,}): {_eg(dup)}")
    if unknown:
        problems.append(f"ids that are not test rows ({len(unknown):,}): {_eg(unknown)}")
    if absent:
        problems.append(f"test rows without a score ({len(absent):,} ids missing from the "
                        f"file): {_eg(absent)}")
    if bad:
        problems.append(f"scores that are not finite numbers ({len(bad):,}): {_eg(bad)}")
    if problems:
        refuse(*problems)
    return pd.Series([scores[k] for k in keys], index=keys, name="score", dtype=float)


def score(path, ids, labels) -> dict:
    """Score the submission at ``path`` against the test labels (1 = anomaly), given in
    the order of ``ids``: ROC-AUC, average precision, and the numbers of rows and of
    anomalies. Labels of one class only raise a ValueError (neither figure exists)."""
    y = np.asarray(labels).ravel()
    if len(y) != len(ids):
        raise ValueError(f"{len(ids)} test ids but {len(y)} labels")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"the labels must be 0 (normal) or 1 (anomaly); found "
                         f"{_eg(map(repr, np.unique(y).tolist()))}")
    y = y.astype(int)
    if len(np.unique(y)) < 2:
        raise ValueError(f"all {len(y):,} test labels are {y[0] if len(y) else '-'}: ROC-AUC and "
                         "average precision need both normal rows and anomalies in the test set")
    s = read_submission(path, ids).to_numpy()
    from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: PLC0415

    return {"roc_auc": float(roc_auc_score(y, s)),
            "average_precision": float(average_precision_score(y, s)),
            "rows": int(len(y)), "anomalies": int(y.sum())}


def answers(run_dir, dataset: str | None = None) -> tuple[list[str], np.ndarray]:
    """The test ids (as strings) and labels of the run folder ``run_dir``, from the split
    notebook 02 saved (``state/split.npz``: ``y_test``, and ``test_ids`` for datasets
    that name their test rows). Without ``test_ids`` the id column defaults to the row
    number, 0 to n-1 in test order. ``dataset`` (default: the folder's name) is only used
    to say which notebooks to run when the split is missing."""
    run_dir = Path(run_dir)
    dataset = dataset or run_dir.name
    split = run_dir / "state" / "split.npz"
    if not split.is_file():
        where = (f"{_where(run_dir)} has no test labels yet (no state/split.npz)"
                 if run_dir.is_dir() else f"there is no run folder {_where(run_dir)}")
        raise MissingAnswersError(
            f"{where}: run notebooks 01_import and 02_load for dataset {dataset!r} first, "
            f"e.g. make run-all DATASETS={dataset}")
    with np.load(split) as data:
        if "y_test" not in data.files:
            raise MissingAnswersError(f"{_where(split)} has no y_test array: run notebook "
                                      f"02_load for dataset {dataset!r} again")
        y = np.asarray(data["y_test"]).ravel()
        ids = data["test_ids"].ravel().tolist() if "test_ids" in data.files else range(len(y))
    keys = _keys(ids)
    if len(keys) != len(y):
        raise ValueError(f"{_where(split)}: {len(keys)} test_ids but {len(y)} y_test labels")
    return keys, y


def _no_run_folder(dataset: str) -> str:
    """What to say when the default run folder of ``dataset`` is missing."""
    runs = paths.build_dir() / "runs"
    found = sorted(p.name for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []
    msg = (f"there is no run folder {_where(runs / dataset)}: run notebooks 01_import and "
           f"02_load for dataset {dataset!r} first, e.g. make run-all DATASETS={dataset}; "
           f"run folders there: {', '.join(found) or 'none'}")
    try:  # the registry loads scikit-learn, so only when something is already wrong
        from . import datasets  # noqa: PLC0415

        if dataset not in datasets.names():
            msg += f" ({dataset!r} is not one of the kit's datasets: {', '.join(datasets.names())})"
    except Exception:  # noqa: BLE001  (the hint is optional)
        pass
    return msg


def main(argv=None) -> int:
    """The command line; returns the exit status: 0 scored, 2 refused (the reason on
    stderr after ``error:``). A relative ``--run-dir`` is taken from the current folder."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.leaderboard",
        description="Score a submission (CSV with the header id,score) against the test "
                    "labels of a run folder, as a leaderboard would.")
    parser.add_argument("submission", metavar="SUBMISSION")
    parser.add_argument("--dataset", default="thyroid",
                        help="the dataset whose run folder holds the answers (default: thyroid)")
    parser.add_argument("--run-dir", help="the run folder (default: build/runs/<dataset>/)")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir) if args.run_dir else paths.default_run_dir(args.dataset)
    try:
        if args.run_dir is None and not run_dir.is_dir():
            raise MissingAnswersError(_no_run_folder(args.dataset))
        ids, labels = answers(run_dir, args.dataset)
        result = score(args.submission, ids, labels)
    except (ValueError, MissingAnswersError) as err:  # SubmissionError is a ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.submission}: ROC-AUC {result['roc_auc']:.3f}, average precision "
          f"{result['average_precision']:.3f} ({result['rows']:,} test rows, "
          f"{result['anomalies']:,} anomalies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
