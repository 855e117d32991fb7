"""Wall time of a quick run-all and of grading four submissions, on one machine and on Dask.

    .venv/bin/python tools/benchmark_cluster.py [--before /path/to/older/kit] [--kill]
                                                [--local2] [--datasets all] [--skip-grading]
                                                [--no-local] [--reference metrics.csv]

Arms, run one after the other on this machine (run nothing else meanwhile):

- ``before``: an older checkout of the kit (``--before``, e.g. a ``git worktree`` of the
  commit before the Dask change), whose runner ran datasets in its own loop;
- ``local``: a local Dask cluster of one worker (the default, ``JOBS=1``);
- ``local2`` (``--local2``): a local Dask cluster of two workers (``JOBS=2``);
- ``loopback``: a scheduler and two workers started as separate processes on 127.0.0.1
  (the tests' ``LoopbackCluster``), named with ``--scheduler``;
- ``loopback-kill`` (``--kill``): the same, with one worker killed once a notebook has run
  on each, and none started in its place.

The quick run is ``make run-all QUICK=1`` (all datasets unless ``--datasets``); grading is
``make grade QUICK=1 MODELS=kit_dense`` on the four submissions of the tests (the
solutions, the students' copy, one exercise wrong, one check cell edited). It prints each
arm's wall time, checks that every arm's figures (``metrics.csv`` less timings) and grades
equal the first arm's (or, with ``--reference``, those of an earlier run's ``metrics.csv``),
and the size of what came home through the client. ``--no-local`` leaves the local arm out.
Not a test: timings belong in notes, not assertions.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers import transfer  # noqa: E402


def loopback_class():
    spec = importlib.util.spec_from_file_location("kit_conftest", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LoopbackCluster


def level(*cmd) -> list[str]:
    return [sys.executable, "-m", "helpers.cpu_level", "--", sys.executable, *cmd]


def timed(cmd, cwd, env=None, kill=None) -> tuple[float, str]:
    """Run ``cmd``; its wall time and output. ``kill(lines)`` is called per line of output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if kill is not None:
            kill(lines)
    code = proc.wait()
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{cmd} failed ({code}):\n{''.join(lines)[-3000:]}")
    return seconds, "".join(lines)


def submissions(folder: Path) -> Path:
    """The grading tests' four submissions."""
    tests = importlib.util.spec_from_file_location("kit_test_grading", ROOT / "tests" / "test_grading.py")
    module = importlib.util.module_from_spec(tests)
    tests.loader.exec_module(module)
    return module.four_submissions(folder / "submissions", folder / "build-student")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default=None, help="an older checkout of the kit (the 'before' arm)")
    ap.add_argument("--kill", action="store_true", help="also the loopback arm with a worker killed")
    ap.add_argument("--local2", action="store_true", help="also a local cluster of two workers")
    ap.add_argument("--datasets", default="all")
    ap.add_argument("--skip-grading", action="store_true")
    ap.add_argument("--no-local", action="store_true", help="leave the local cluster's arm out")
    ap.add_argument("--reference", default=None,
                    help="an earlier run's metrics.csv that every arm's figures must equal")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="benchmark-cluster-"))
    cluster = None
    rows, figures, grades = [], {}, {}
    try:
        arms = ([("before", [])] if args.before else []) + ([] if args.no_local else [("local", [])])
        if args.local2:
            arms.append(("local2", ["--jobs", "2"]))
        cluster = loopback_class()(work)
        arms.append(("loopback", ["--scheduler", cluster.address]))
        if args.kill:
            arms.append(("loopback-kill", ["--scheduler", cluster.address]))
        subs = None if args.skip_grading else submissions(work)
        for arm, extra in arms:
            kit = Path(args.before) if arm == "before" else ROOT
            env = dict(os.environ, ANOMALY_KIT_ROOT=str(kit)) if arm == "before" else None
            kill = None
            if arm == "loopback-kill":
                def kill(lines, done=[]):  # noqa: B006  (once)
                    if not done and sum("01_import.ipynb" in ln for ln in lines) >= 2:
                        done.append(cluster.kill_worker_running_a_job())
            out = work / f"run-{arm}"
            seconds, text = timed(level("-m", "helpers.runner", "--quick", "1", "--datasets",
                                        args.datasets, "--out", str(out), *extra), kit, env, kill)
            print(text.splitlines()[0] if text else "", flush=True)
            figures[arm] = pd.read_csv(out / "report" / "metrics.csv").drop(columns=["fit_seconds"])
            sizes = {d.name: len(transfer.pack(d)) for d in sorted((out / "runs").iterdir()) if d.is_dir()}
            rows.append(dict(arm=arm, what="quick run-all", seconds=round(seconds, 1),
                             came_home_mb=round(sum(sizes.values()) / 2**20, 1)))
            print(rows[-1], {k: round(v / 2**20, 1) for k, v in sizes.items()}, flush=True)
            if subs is not None and arm != "loopback-kill":
                gout = work / f"grades-{arm}"
                genv = dict(env or os.environ, ANOMALY_KIT_BUILD=str(work / f"build-{arm}"))
                seconds, text = timed(level("-m", "helpers.grading", str(subs), "--quick", "1",
                                            "--models", "kit_dense", "--cell-timeout", "300",
                                            "--out", str(gout), *extra), kit, genv)
                grades[arm] = pd.read_csv(gout / "grades.csv")
                rows.append(dict(arm=arm, what="grade 4 submissions", seconds=round(seconds, 1)))
                print(rows[-1], flush=True)
                print(text[-1200:], flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
    print(pd.DataFrame(rows).to_string(index=False))
    if args.reference:
        figures = {"reference": pd.read_csv(args.reference).drop(columns=["fit_seconds"]), **figures}
    first = next(iter(figures))
    for arm, df in figures.items():
        print(f"{arm}: figures {'equal' if df.equals(figures[first]) else 'DIFFER'} to {first}'s")
        if not df.equals(figures[first]) and df.shape == figures[first].shape:
            differ = (df != figures[first]) & ~(df.isna() & figures[first].isna())
            rows = differ.any(axis=1)
            print(df[rows].iloc[:, :4].assign(columns=[list(differ.columns[differ.loc[i]])
                                                       for i in df[rows].index]).to_string())
    for arm, df in grades.items():
        print(f"{arm}: grades {'equal' if df.equals(grades[next(iter(grades))]) else 'DIFFER'}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
