"""Execute the notebooks in place with their default parameters, so that the
committed copies carry the reference outputs of a default run (what a student
sees before running anything, and what nbval compares against).

    python tools/refresh_outputs.py

Papermill's own bookkeeping (timings, paths) is stripped afterwards so that a
refresh changes only what a reader sees.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.runner import failed_cell, notebooks  # noqa: E402


def strip(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    nbformat.write(nb, path)


def main() -> int:
    for nb in notebooks(ROOT / "notebooks"):
        print(f"executing notebooks/{nb.name}", flush=True)
        try:
            pm.execute_notebook(str(nb), str(nb), cwd=str(nb.parent), progress_bar=False)
        except pm.PapermillExecutionError as err:
            print(f"notebooks/{nb.name} failed in {failed_cell(nb)}: {err.ename}: {err.evalue}")
            return 1
        finally:
            strip(nb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
