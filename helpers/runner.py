"""Run every notebook for every dataset headlessly, as ``make run-all`` does.

    python -m helpers.runner [--datasets synthetic,...] [--quick] [--out build]

For each dataset the eight notebooks run in order with papermill; the executed
copies go to ``<out>/runs/<dataset>/``. A dataset whose data must be downloaded
first (``make data``) and is not there is skipped with a line in the summary. When every dataset succeeded, their metric
rows are gathered into ``<out>/report/metrics.csv`` and printed. A failing cell
stops that dataset, its executed notebook (with the error) is kept, the run goes
on with the other datasets, and the command exits non-zero naming the notebook and
the cell; no ``metrics.csv`` is written for a failed run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from . import datasets, paths, summary
from .checks import ParameterError, check_choices


def notebooks(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no numbered notebooks in {paths.show(folder)}")
    return found


def failed_cell(nb_path: Path) -> str:
    """Which cell of an executed notebook raised, as 'cell N (In [k])'."""
    import nbformat  # noqa: PLC0415

    nb = nbformat.read(nb_path, as_version=4)
    # count as in the source notebook: papermill's injected parameters cell is not there
    code = [c for c in nb.cells if c.cell_type == "code"
            and "injected-parameters" not in c.metadata.get("tags", [])]
    for i, cell in enumerate(code, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return f"code cell {i} (In [{cell.get('execution_count')}])"
    return "an unknown cell"


def run_dataset(dataset: str, nbs: list[Path], out: Path, quick: bool, extra: dict,
                timings: list[dict], whole_lines: bool = False) -> str | None:
    """Execute the notebooks for one dataset; return an error message or None.
    ``whole_lines`` prints each notebook's line only when it ends (for parallel runs,
    whose lines would otherwise interleave)."""
    import papermill as pm  # noqa: PLC0415

    run_dir = out / "runs" / dataset
    if run_dir.exists():
        shutil.rmtree(run_dir)  # never mix a new run with an old one's results
    run_dir.mkdir(parents=True)
    rel_run = os.path.relpath(run_dir, paths.project_root())
    params = dict(dataset=dataset, quick=quick, run_dir=rel_run, **extra)
    for nb in nbs:
        target = run_dir / nb.name
        start = time.perf_counter()
        label = f"  {dataset:<12} {nb.name:<22}"
        if not whole_lines:
            print(label, end="", flush=True)
        try:
            pm.execute_notebook(str(nb), str(target), parameters=params, cwd=str(nb.parent),
                                progress_bar=False, log_output=False, report_mode=False)
        except pm.PapermillExecutionError as err:
            seconds = time.perf_counter() - start
            print(f"{label if whole_lines else ''}FAILED after {seconds:.1f}s", flush=True)
            timings.append(dict(dataset=dataset, notebook=nb.name, seconds=round(seconds, 1),
                                status="failed"))
            return (f"{dataset}: {paths.show(nb)} failed in {failed_cell(target)}: "
                    f"{err.ename}: {err.evalue}\n    the executed notebook with the error is "
                    f"kept at {paths.show(target)}")
        seconds = time.perf_counter() - start
        timings.append(dict(dataset=dataset, notebook=nb.name, seconds=round(seconds, 1),
                            status="ok"))
        print(f"{label if whole_lines else ''}{seconds:6.1f}s", flush=True)
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="all", help="comma-separated names, or 'all'")
    ap.add_argument("--quick", action="store_true", help="few epochs: a smoke test, not a result")
    ap.add_argument("--out", default="build", help="output folder, relative to the kit (default build)")
    ap.add_argument("--notebooks", default="notebooks", help="folder of numbered notebooks")
    ap.add_argument("--seed", type=int, default=None, help="override every notebook's seed")
    ap.add_argument("--jobs", type=int, default=1,
                    help="datasets run side by side (default 1; timings are only comparable at 1)")
    args = ap.parse_args(argv)

    root = paths.project_root()
    if args.jobs < 1:
        print(f"error: --jobs={args.jobs} is not valid; expected 1 or more", file=sys.stderr)
        return 2
    try:
        chosen = datasets.names() if args.datasets in ("all", "") else check_choices(
            "DATASETS", args.datasets, datasets.names())
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = (root / args.out).resolve()
    nbs = notebooks(root / args.notebooks)
    extra = {} if args.seed is None else {"seed": args.seed}
    report = out / "report"
    for stale in ("metrics.csv", "timings.csv", "tuning.csv"):
        (report / stale).unlink(missing_ok=True)  # a failed run must not leave an old table

    print(f"Running {len(nbs)} notebooks for {', '.join(chosen)}"
          f"{' (quick mode)' if args.quick else ''}; executed notebooks go to "
          f"{paths.show(out / 'runs')}/<dataset>/")
    total = time.perf_counter()
    failures, timings, skipped = [], [], {}
    for ds in chosen:
        gone = datasets.missing_data(ds)
        if gone:
            skipped[ds] = (f"{ds}: SKIPPED, its data is not there ({', '.join(paths.show(g) for g in gone)}); "
                           "run `make data` on a machine with internet access to fetch it")
            print(f"  {skipped[ds]}")
            shutil.rmtree(out / "runs" / ds, ignore_errors=True)  # no old results left behind
    todo = [ds for ds in chosen if ds not in skipped]
    run = lambda ds: run_dataset(ds, nbs, out, args.quick, extra, timings,  # noqa: E731
                                 whole_lines=args.jobs > 1)
    if args.jobs > 1:
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            messages = list(pool.map(run, todo))
    else:
        messages = [run(ds) for ds in todo]
    failures = [m for m in messages if m]
    timings.sort(key=lambda t: todo.index(t["dataset"]))  # stable: notebook order kept
    elapsed = time.perf_counter() - total
    ran = [ds for ds in chosen if ds not in skipped]

    import pandas as pd  # noqa: PLC0415

    summary.write(pd.DataFrame(timings), report / "timings.csv")
    if not ran:
        print("FAILED: no dataset could run:\n  - " + "\n  - ".join(skipped.values()), file=sys.stderr)
        return 1
    if failures:
        print(f"\nFAILED after {elapsed:.0f}s; no metrics table was written.", file=sys.stderr)
        for msg in failures:
            print(f"  - {msg}", file=sys.stderr)
        return 1
    files = [out / "runs" / ds / "metrics.csv" for ds in ran]
    missing = [f for f in files if not f.exists()]
    if missing:
        print(f"FAILED: the notebooks ran but wrote no {', '.join(paths.show(m) for m in missing)}",
              file=sys.stderr)
        return 1
    df = summary.collect(files)
    summary.write(df, report / "metrics.csv")
    tuning = [out / "runs" / ds / "tuning.csv" for ds in ran]
    if any(f.exists() for f in tuning):
        summary.write(summary.collect([f for f in tuning if f.exists()]), report / "tuning.csv")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    print(f"\nAll notebooks ran in {elapsed:.0f}s. Test-set figures at each detector's chosen "
          f"threshold (all threshold methods are in {paths.show(report / 'metrics.csv')}):\n")
    shown = summary.chosen(df)[summary.HEADLINE].dropna(axis=1, how="all")  # event columns: series only
    print(summary.rounded(shown).to_string(index=False))
    for line in skipped.values():
        print(f"\n{line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
