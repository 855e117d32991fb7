"""The metrics table: one row per dataset x model x threshold method.

Notebook 07 writes its run's rows to ``<run>/metrics.csv``; ``make run-all``
gathers every dataset's rows into ``build/report/metrics.csv``."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import cpu_level, events, metrics, reproducibility, thresholds

# ``kind`` is the detector's type: "autoencoder", "baseline" or "few labels" (it reads the
# labelled anomalies of a labelled table); ``warning`` says, in short
# phrases, when a threshold flags far more than the anomaly share or no threshold of the
# detector beats flagging everything (empty when neither); ``seed`` and ``options`` (the dataset's
# settings, defaults included, as JSON) say what the run was; ``exact`` is the instruction-set
# level the kernel's numeric libraries were capped at (``helpers.cpu_level``: "AVX2", or "off"
# for figures made with the CPU's own code, EXACT=0); ``backend`` is Keras's backend
# ("tensorflow", or "jax" for BACKEND=jax); ``quick`` marks the rows of
# a quick-mode run (2 epochs: a smoke test, not a result).
COLUMNS = ["dataset", "model", "kind", "threshold_method", "chosen", "roc_auc", "pr_auc",
           "precision", "recall", "f1", "accuracy", "threshold", "tn", "fp", "fn", "tp",
           "n_test", "n_test_anomalies", "fit_seconds", "val_roc_auc", "val_pr_auc",
           "event_recall", "events", "false_alarms_per_1k", "pa_f1", "flagged_share", "fp_per_1k",
           "warning", "data_source", "seed", "options", "exact", "backend", "quick"]
EVENT_COLUMNS = ["event_recall", "false_alarms_per_1k", "pa_f1"]
HEADLINE = ["dataset", "model", "threshold_method", "roc_auc", "pr_auc", "precision", "recall",
            "f1", "flagged_share", "fp_per_1k", "event_recall", "false_alarms_per_1k", "pa_f1",
            "n_test_anomalies", "fit_seconds", "warning"]


def test_problems(row: dict) -> list[str]:
    """What the test figures say about a threshold: it flagged more than
    ``thresholds.FLAG_LIMIT`` times the test part's anomaly share."""
    share = row["n_test_anomalies"] / row["n_test"] if row["n_test"] else 0.0
    if share and row["flagged_share"] > thresholds.FLAG_LIMIT * share:
        return [f"test: flags {row['flagged_share']:.0%}, {row['flagged_share'] / share:.1f}x "
                "the anomaly share"]
    return []


def detector_rows(dataset: str, detector, scores: dict, split, chosen: str,
                  quick: bool = False, seed: int | None = None,
                  options: dict | None = None) -> list[dict]:
    """Test-set figures of one fitted detector under every threshold method (each
    threshold set from its training and validation scores only), with its
    threshold-free validation figures and the data source for reference. ``scores``
    holds the detector's ``score_samples`` of "train", "val" and "test". For a time
    series each row also has the event-level figures (``helpers.events``); elsewhere
    they are empty. ``warning`` comes from ``thresholds.problems`` (validation) and
    ``test_problems``. ``quick`` marks the rows of a quick-mode run (``make run-all``
    sets the column from its own ``--quick`` too, when it gathers the rows); ``seed``
    and ``options`` record the run's settings."""
    inp = thresholds.ThresholdInputs(np.asarray(scores["train"]), np.asarray(scores["val"]),
                                     split.y_val, split.train_anomaly_share)
    test_scores = scores["test"]
    val = metrics.evaluate(split.y_val, inp.val_scores, threshold=np.inf)
    rows = []
    for method, thr in thresholds.compute(inp).items():
        row = metrics.evaluate(split.y_test, test_scores, thr)
        row.update(dict.fromkeys(["event_recall", "events", "false_alarms_per_1k", "pa_f1"], np.nan))
        if split.groups("test") is not None:
            flagged = (np.asarray(test_scores) >= thr).astype(int)
            ev = events.scores(split.y_test, flagged, split.groups("test"))
            row.update({k: ev[k] for k in ("event_recall", "events", "false_alarms_per_1k", "pa_f1")})
        row.update(dataset=dataset, model=detector.name, kind=detector.detector_type,
                   threshold_method=method, chosen=method == chosen,
                   fit_seconds=round(float(detector.fit_seconds_), 2),
                   val_roc_auc=val["roc_auc"], val_pr_auc=val["pr_auc"],
                   data_source=split.info.get("source", ""), quick=bool(quick), seed=seed,
                   options=json.dumps(options or {}, sort_keys=True), exact=cpu_level.label(),
                   backend=reproducibility.backend())
        row["warning"] = "; ".join(thresholds.problems(inp, thr) + test_problems(row))
        rows.append(row)
    return rows


def shown_columns(family: str) -> list[str]:
    """The columns notebook 07 shows for a dataset of this family of data."""
    cols = ["kind", "precision", "recall", "f1", "roc_auc", "pr_auc", "tp", "fp", "fn",
            "flagged_share", "fit_seconds", "val_roc_auc"]
    return cols + ["fp_per_1k"] + EVENT_COLUMNS if family == "series" else cols


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)[COLUMNS]


def chosen(df: pd.DataFrame) -> pd.DataFrame:
    """One row per detector: the figures at the run's chosen threshold method."""
    return df[df["chosen"]].reset_index(drop=True)


def write(df: pd.DataFrame, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False, float_format="%.4f")
    tmp.replace(path)
    return path


def collect(files: list[Path]) -> pd.DataFrame:
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def rounded(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = df.copy()
    num = out.select_dtypes(include=[np.floating]).columns
    out[num] = out[num].round(digits)
    return out


def warnings_text(table: pd.DataFrame) -> str:
    """The ``warning`` of every detector row (``table`` indexed by model) in sentences, or
    a sentence saying that no threshold failed."""
    rows = table[table["warning"].fillna("") != ""]
    if rows.empty:
        return ("No threshold failed: each flags at most "
                f"{thresholds.FLAG_LIMIT:g} times the anomaly share and beats flagging every row "
                "on validation.")
    return "\n".join(f"WARNING {name} ({row['threshold_method']}): {row['warning']}"
                     for name, row in rows.iterrows())
