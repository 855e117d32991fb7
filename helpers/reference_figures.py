"""The reference run's figures, committed with the kit, and whether a run matches them.

``reference_figures.csv`` holds every chosen row (one per dataset and detector, at the
dataset's chosen threshold) of a default, full ``make run-all`` of every dataset, made at
the kit's instruction-set level (``helpers.cpu_level``). ``make run-all`` ends by saying
whether its figures are identical to these, or which rows differ and by how much: on
any x86-64 CPU with that level they should be identical. The reference is made on
Keras's default backend, TensorFlow; a run on JAX (``BACKEND=jax``) is compared with it
too, and the summary says that the differences it lists are the two backends'.

After a change that moves figures on purpose, a maintainer runs a default ``make
run-all`` and then ``python -m helpers.reference_figures build/report/metrics.csv``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from . import cpu_level, paths, reproducibility, summary

FILE = Path(__file__).with_name("reference_figures.csv")
KEY = ["dataset", "model", "threshold_method"]
FIGURES = ["roc_auc", "pr_auc", "precision", "recall", "f1", "tp", "fp", "fn"]
KEPT = KEY + FIGURES + ["data_source", "exact"]


def load(path: Path = FILE) -> pd.DataFrame:
    return pd.read_csv(path)


def _chosen(metrics: pd.DataFrame) -> pd.DataFrame:
    """The run's chosen rows (``summary.chosen``), with the columns the reference keeps."""
    picked = summary.chosen(metrics)
    return picked[[c for c in KEPT if c in picked.columns]]


def other_data(metrics: pd.DataFrame, reference: pd.DataFrame) -> list[str]:
    """The datasets of ``metrics`` that ran on other data than the reference's (after
    ``make data``, say)."""
    ref = reference.drop_duplicates("dataset").set_index("dataset")["data_source"].to_dict()
    sources = metrics["data_source"] if "data_source" in metrics else pd.Series([""] * len(metrics))
    return sorted({ds for ds, src in zip(metrics["dataset"], sources.fillna(""))
                   if ds in ref and str(ref[ds]) != str(src)})


def other_backends(metrics: pd.DataFrame) -> list[str]:
    """The Keras backends other than the reference's that made ``metrics``."""
    used = metrics["backend"].dropna().astype(str) if "backend" in metrics else pd.Series([], dtype=str)
    return sorted(set(used) - {reproducibility.DEFAULT_BACKEND})


def why_not_comparable(metrics: pd.DataFrame, default_settings: bool, quick: bool,
                       reference: pd.DataFrame) -> str:
    """Why a run's figures cannot be held against the reference ("" when they can, for
    at least one dataset)."""
    if quick:
        return "a quick run (2 epochs) is a smoke test; the reference is a full run"
    if not default_settings:
        return "the run's settings differ from the defaults the reference used"
    exact = metrics["exact"] if "exact" in metrics else pd.Series([None] * len(metrics))
    labels = {str(x) if pd.notna(x) else "not recorded" for x in exact}
    if labels != {cpu_level.LEVEL}:
        return (f"its figures were not made at level {cpu_level.LEVEL} (the exact column says "
                f"{', '.join(sorted(labels))}; see notebook 01)")
    if set(metrics["dataset"]) <= set(other_data(metrics, reference)):
        return "every dataset ran on other data than the reference"
    return ""


def differences(metrics: pd.DataFrame, reference: pd.DataFrame) -> list[str]:
    """One line per chosen row of ``metrics`` whose figures differ from the reference's
    (as ``metrics.csv`` stores them, 4 decimals), or which the reference lacks."""
    run = _chosen(metrics).set_index(KEY)
    ref = reference[reference["dataset"].isin(set(run.index.get_level_values(0)))].set_index(KEY)
    lines = []
    for key in run.index.union(ref.index, sort=False):
        name = " / ".join(str(k) for k in key)
        if key not in ref.index:
            lines.append(f"{name}: not in the reference")
            continue
        if key not in run.index:
            lines.append(f"{name}: in the reference, not in this run")
            continue
        changed = []
        for col in FIGURES:
            a, b = float(run.at[key, col]), float(ref.at[key, col])
            if round(a, 4) != round(b, 4):
                changed.append(f"{col} {a:.4g} (reference {b:.4g}, {a - b:+.4g})")
        if changed:
            lines.append(f"{name}: " + ", ".join(changed))
    return lines


def verdict(metrics: pd.DataFrame, default_settings: bool, quick: bool,
            reference_file: Path = FILE) -> str:
    """The run summary's paragraph on the reference figures."""
    if not Path(reference_file).exists():
        return f"Reference figures: none committed ({paths.show(reference_file)} is missing)."
    reference = load(reference_file)
    reason = why_not_comparable(metrics, default_settings, quick, reference)
    if reason:
        return f"Reference figures: not compared, because {reason}."
    other = other_data(metrics, reference)
    metrics = metrics[~metrics["dataset"].isin(other)]
    left_out = (f" Not compared: {', '.join(other)}, which ran on other data than the reference."
                if other else "")
    diff = differences(metrics, reference)
    rows = len(_chosen(metrics))
    backends = other_backends(metrics)
    head = (f"Reference figures (made on {reproducibility.DEFAULT_BACKEND}; this run used "
            f"{', '.join(backends)}, so what differs is the backends' doing)" if backends
            else "Reference figures")
    if not diff:
        return (f"{head}: identical to the reference figures ({rows} chosen rows, "
                f"{paths.show(reference_file)}).{left_out}")
    return (f"{head}: {len(diff)} of {rows} chosen rows differ from "
            f"{paths.show(reference_file)} (this CPU: {cpu_level.cpu_model()}):\n"
            + "\n".join(f"  - {line}" for line in diff) + (f"\n{left_out.strip()}" if other else ""))


def update(metrics_file: Path, reference_file: Path = FILE) -> Path:
    """Make ``metrics_file`` (a default, full run's ``build/report/metrics.csv``) the
    reference for the datasets it holds; the reference rows of other datasets stay (so a
    run of some datasets, ``DATASETS=...``, updates only theirs)."""
    metrics = pd.read_csv(metrics_file)
    if metrics["quick"].astype(str).str.lower().eq("true").any():
        raise ValueError(f"{metrics_file} holds a quick run; the reference is a full run")
    if set(metrics["exact"].fillna("").astype(str)) != {cpu_level.LEVEL}:
        raise ValueError(f"{metrics_file} was not made at level {cpu_level.LEVEL}")
    if other_backends(metrics):
        raise ValueError(f"{metrics_file} was made on {', '.join(other_backends(metrics))}; the "
                         f"reference is made on {reproducibility.DEFAULT_BACKEND}")
    rows = _chosen(metrics)
    if Path(reference_file).exists():
        kept = load(reference_file)
        rows = pd.concat([kept[~kept["dataset"].isin(set(rows["dataset"]))], rows])
    rows.to_csv(reference_file, index=False, float_format="%.4f")
    return reference_file


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m helpers.reference_figures build/report/metrics.csv")
    print(f"wrote {update(Path(sys.argv[1]))}")
