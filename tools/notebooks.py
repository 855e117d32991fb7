"""Keep the numbered notebooks, their plain-text sources and their reference outputs in step.

Each ``notebooks/NN_name.ipynb`` is paired with ``notebooks/src/NN_name.py`` (jupytext's
percent format, see ``notebooks/jupytext.toml``): edit either one, in JupyterLab or in a
text editor. The .ipynb files also carry the outputs of a default run, which students see
before running anything and which nbval compares against.

    python tools/notebooks.py sync             # copy the newer file's cells to its twin
    python tools/notebooks.py check            # exit 1 if a .ipynb and its .py disagree
    python tools/notebooks.py refresh [--all]  # sync, then re-execute what the edits affect

Each command takes ``--folder DIR`` (default: the kit's ``notebooks/``).

``refresh`` stores in each executed notebook a fingerprint of its code cells (sources and
tags; markdown does not count). A notebook whose code no longer matches its fingerprint is
stale; it and every later notebook are executed again, in place, because each notebook reads
what the earlier ones wrote to the run folder. When the first stale notebook is not the first
notebook, the earlier ones are executed first into throwaway copies under ``build/refresh/``
so that the run folder is complete; their committed copies stay as they are.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SRC = "src"  # the text twins' sub-folder, as notebooks/jupytext.toml says: "ipynb,src//py:percent"
# notebook metadata: {"code_sha256": <fingerprint of the code cells>, "cpu": <the CPU that ran them>}
METADATA_KEY = "anomaly_kit"

sys.path.insert(0, str(ROOT))  # for helpers, when the kit is not pip-installed


# -- the pairs --------------------------------------------------------------------------
def names(folder: Path) -> list[str]:
    """The numbered notebooks, whether the .ipynb, the .py or both exist."""
    found = {p.stem for p in folder.glob("[0-9][0-9]_*.ipynb")}
    found |= {p.stem for p in (folder / SRC).glob("[0-9][0-9]_*.py")}
    return sorted(found)


def ipynb_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.ipynb"


def text_path(folder: Path, name: str) -> Path:
    return folder / SRC / f"{name}.py"


def show(path: Path, folder: Path) -> str:
    """A path relative to the folder above the notebooks (no absolute paths in the output)."""
    return Path(os.path.relpath(path, folder.parent)).as_posix()


# -- sync and check ---------------------------------------------------------------------
def sync(folder: Path = NOTEBOOKS, quiet: bool = False) -> list[str]:
    """``jupytext --sync`` every pair: the more recently modified file gives the cells, the
    .ipynb keeps its outputs. Return the names of the notebooks where a file changed."""
    from jupytext.cli import jupytext  # noqa: PLC0415

    changed = []
    for name in names(folder):
        files = [ipynb_path(folder, name), text_path(folder, name)]
        before = [f.read_bytes() if f.exists() else None for f in files]
        start = next(f for f in files if f.exists())
        if jupytext(["--sync", "--quiet", str(start)]):
            raise RuntimeError(f"jupytext --sync failed on {show(start, folder)}")
        updated = [f for f, old in zip(files, before) if f.read_bytes() != old]
        if updated:
            changed.append(name)
            if not quiet:
                print(f"synced     {', '.join(show(f, folder) for f in updated)}")
    return changed


def cells(path: Path) -> list[tuple[str, str, list[str]]]:
    """What the two files of a pair must agree on: each cell's type, source and tags."""
    import jupytext  # noqa: PLC0415

    nb = jupytext.read(path)
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def check(folder: Path = NOTEBOOKS) -> list[str]:
    """The names of the notebooks whose .ipynb and .py disagree (or lack a twin)."""
    bad = []
    for name in names(folder):
        ipynb, text = ipynb_path(folder, name), text_path(folder, name)
        if not (ipynb.exists() and text.exists()) or cells(ipynb) != cells(text):
            bad.append(name)
    return bad


# -- fingerprints -------------------------------------------------------------------------
def code_fingerprint(nb) -> str:
    """sha256 of the code cells' sources and tags: what execution depends on."""
    code = [[c.source, list(c.metadata.get("tags", []))] for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps(code).encode()).hexdigest()


def stored_fingerprint(nb) -> str | None:
    """The fingerprint of the code that produced the notebook's outputs (None: never refreshed)."""
    return nb.metadata.get(METADATA_KEY, {}).get("code_sha256")


def is_stale(path: Path) -> bool:
    import nbformat  # noqa: PLC0415

    nb = nbformat.read(path, as_version=4)
    return stored_fingerprint(nb) != code_fingerprint(nb)


# -- execution ----------------------------------------------------------------------------
class ExecutionFailed(Exception):
    """A cell raised; the message names the notebook and the cell."""


def strip(path: Path, fingerprint: bool) -> None:
    """Remove papermill's bookkeeping (timings, paths) so that a refresh changes only what a
    reader sees; with ``fingerprint``, record the code that produced the outputs and the CPU
    it ran on (nbval compares figures from training only on that CPU model, see
    notebooks/conftest.py)."""
    import nbformat  # noqa: PLC0415

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    if fingerprint:
        from helpers import cpu_level  # noqa: PLC0415

        nb.metadata[METADATA_KEY] = {"code_sha256": code_fingerprint(nb), "cpu": cpu_level.signature()}
    nbformat.write(nb, path)


def settle(folder: Path, name: str) -> None:
    """After outputs were written into the .ipynb, make its .py at least as recent, as jupytext
    does, so that the .py stays the source of the cells. Not if the .py was edited meanwhile:
    then it is newer with other cells, and the next sync or refresh takes them."""
    ipynb, text = ipynb_path(folder, name), text_path(folder, name)
    if text.exists() and cells(text) == cells(ipynb):
        os.utime(text)


def execute(nb: Path, output: Path) -> float:
    """Run ``nb`` with its default parameters and its own kernel, in the notebooks' folder,
    into ``output``; return the seconds taken. Raise ExecutionFailed naming the cell."""
    import papermill as pm  # noqa: PLC0415

    from helpers.runner import KERNEL_ARGUMENTS, failed_cell  # noqa: PLC0415

    start, ok = time.perf_counter(), False
    try:
        pm.execute_notebook(str(nb), str(output), cwd=str(nb.parent), progress_bar=False,
                            extra_arguments=list(KERNEL_ARGUMENTS))
        ok = True
    except pm.PapermillExecutionError as err:
        kept = ("it keeps the error output until it runs again" if output == nb
                else f"the executed copy is {show(output, nb.parent)}")
        raise ExecutionFailed(f"{show(nb, nb.parent)} failed in {failed_cell(output)}: "
                              f"{err.ename}: {err.evalue}\n  ({kept})") from None
    finally:
        if output.exists():
            strip(output, fingerprint=ok)
        if output == nb:
            settle(nb.parent, nb.stem)
    return time.perf_counter() - start


def refresh(folder: Path = NOTEBOOKS, everything: bool = False, scratch: Path | None = None) -> int:
    """Sync, then execute in place every notebook from the first stale one (or all) to the
    last. The notebooks before it run first into throwaway copies in ``scratch`` (default:
    ``build/refresh/`` next to the notebooks' folder) so that the run folder holds what the
    stale one reads. Return an exit status."""
    scratch = scratch or folder.parent / "build" / "refresh"
    sync(folder)
    todo = [ipynb_path(folder, name) for name in names(folder)]
    stale = [nb for nb in todo if is_stale(nb)]
    if not (stale or everything):
        for nb in todo:
            print(f"unchanged  {show(nb, folder)}")
        return 0
    first = 0 if everything else todo.index(stale[0])
    if first:
        scratch.mkdir(parents=True, exist_ok=True)
    try:
        for nb in todo[:first]:
            print(f"unchanged  {show(nb, folder)}, run into {show(scratch, folder)}/ for the "
                  "later notebooks ...", end=" ", flush=True)
            print(f"{execute(nb, scratch / nb.name):.1f}s", flush=True)
        for nb in todo[first:]:
            print(f"executing  {show(nb, folder)} ...", end=" ", flush=True)
            print(f"executed in {execute(nb, nb):.1f}s", flush=True)
    except ExecutionFailed as err:
        print(f"\nFAILED: {err}", flush=True)
        return 1
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--folder", type=Path, default=NOTEBOOKS,
                        help="folder of numbered notebooks (default: the kit's notebooks/)")
    commands = ap.add_subparsers(dest="command", required=True)
    commands.add_parser("sync", parents=[common], help="jupytext --sync every .ipynb with its src/.py")
    commands.add_parser("check", parents=[common], help="exit 1 if a .ipynb and its src/.py disagree")
    ref = commands.add_parser("refresh", parents=[common],
                              help="sync, then re-execute the notebooks whose code changed and the later ones")
    ref.add_argument("--all", action="store_true", help="re-execute every notebook")
    args = ap.parse_args(argv)
    folder = args.folder.resolve()
    if not names(folder):
        print(f"error: no numbered notebooks in {show(folder, folder)}", file=sys.stderr)
        return 2

    if args.command == "sync":
        changed = sync(folder)
        print(f"{len(names(folder)) - len(changed)} notebook(s) already in sync, {len(changed)} synced")
        return 0
    if args.command == "check":
        bad = check(folder)
        if bad:
            print(f"these notebooks and their {SRC}/*.py disagree (run `make notebooks` or "
                  f"`python tools/notebooks.py sync`): {', '.join(bad)}")
            return 1
        return 0
    return refresh(folder, everything=args.all)


if __name__ == "__main__":
    sys.exit(main())
