"""Grading each notebook on the reference run's inputs.

Every notebook after 01 reads what the notebooks before it wrote into the run folder. To
grade a student's notebook on its own, so that a broken encoder in 03 costs 03's points
and nothing in 04 to 07, ``make grade`` first runs the instructor's notebooks once and
keeps a copy of the run folder as it stood before each notebook (a *snapshot*). When the
environment variable ``ANOMALY_KIT_REFERENCE`` names that folder of snapshots, a
notebook's ``begin`` opens a fresh copy of its own snapshot instead of the student's run
folder, with the reference run's parameters.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from . import paths

ENV = "ANOMALY_KIT_REFERENCE"
PARAMS = ("dataset", "seed", "epochs", "quick", "models", "threshold", "threads", "options")


class ReferenceError(RuntimeError):
    """The reference run has no snapshot for a notebook."""


def folder() -> Path | None:
    """The folder of snapshots when notebooks are being graded, else None."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


def snapshot_dir(snapshots: Path, notebook: str) -> Path:
    return Path(snapshots) / f"before-{notebook}"


def take(run_dir: Path, snapshots: Path, notebook: str) -> Path:
    """Keep a copy of ``run_dir`` as it stands before ``notebook`` runs; notebooks'
    executed copies are left out (only the state they wrote matters)."""
    target = snapshot_dir(snapshots, notebook)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(run_dir, target, ignore=shutil.ignore_patterns("*.ipynb"))
    return target


def open_copy(notebook: str, snapshots: Path) -> dict:
    """Copy ``notebook``'s snapshot into a fresh run folder under the build folder and
    return the parameters to open it with: the reference run's, with that run folder."""
    source = snapshot_dir(snapshots, notebook)
    recorded = source / "state" / "run.json"
    if not recorded.exists():
        known = sorted(p.name.removeprefix("before-") for p in Path(snapshots).glob("before-*"))
        raise ReferenceError(
            f"the reference run in {snapshots} has no snapshot for {notebook!r}; it has "
            f"{', '.join(known) or 'none'}. Grade with `make grade`, which makes them.")
    run_dir = paths.build_dir() / "runs" / f"graded-{notebook}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    shutil.copytree(source, run_dir)
    params = json.loads(recorded.read_text())
    return {**{k: params[k] for k in PARAMS}, "run_dir": str(run_dir)}
