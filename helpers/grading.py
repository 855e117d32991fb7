"""Grade a class: ``make grade SUBMISSIONS=path``.

    python -m helpers.grading SUBMISSIONS [--dataset synthetic] [--quick] [--seed N]
        [--models a,b] [--epochs N] [--threshold NAME] [--options '{...}']
        [--cell-timeout S] [--timeout S] [--memory GB] [--jobs N] [--scheduler ADDRESS]
        [--out build/grades]

``SUBMISSIONS`` holds one folder per student with that student's notebooks (anywhere
inside it). For the whole class, once:

1. nbgrader generates the assignment from ``notebooks/`` (:mod:`helpers.course`): the
   gradebook then knows every graded cell, hidden tests included;
2. the instructor's notebooks run once on the dataset (the *reference run*), and the run
   folder is kept as it stood before each graded notebook (:mod:`helpers.reference`).

Then, for each student, in a fresh temporary folder: the submitted notebooks are copied
there (the originals are never modified), every locked check cell is compared with the
released one (an edited or deleted check cell is *flagged* and scores zero), and
``nbgrader autograde`` executes the notebooks headlessly, each on the reference run's
inputs, with a time limit per cell, one per student and a memory limit per process;
``nbgrader autograde`` runs them all at once, and a notebook it could not finish (its
kernel died, say) then runs alone, so that it costs only its own points. A check cell scores its points when it runs
without an error, with the hidden tests that nbgrader puts back. A notebook that crashes,
loops or runs out of time costs the points of its cells that did not pass, and the rest of
the class is still graded.

Each student is one job on a Dask cluster (``helpers.cluster``): a local one of ``--jobs``
worker processes (default 1), or the cluster ``--scheduler`` names; the course folder and
the reference run's snapshots go to each worker once, and the grades, executed notebooks
and new cache entries come home through the Dask client.

A notebook file identical to one graded before, against the same reference run, code and
limits, is not run again: its grades come from ``--out``'s ``cache/``. A student whose
notebooks were all graded before gets no job: grading the class again after a few late
submissions runs only theirs.

Written to ``--out`` (``build/grades/``): ``grades.csv`` (student, notebook, exercise,
score, max_score, status, message), ``feedback/<student>.html``, the executed notebooks
in ``autograded/<student>/``; a summary table is printed. Student code runs with the
permissions of whoever runs this command.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import cluster, course, cpu_level, feedback, paths, reference, reproducibility, summary
from .checks import ParameterError
from .interruption import Run
from .runstate import atomic_write

COLUMNS = ["student", "notebook", "exercise", "score", "max_score", "status", "message"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
UNREADABLE = "the file is not a readable notebook"
CHECKSUM_FILES = ("helpers/**/*.py", "requirements.txt")


@dataclass
class Limits:
    cell_seconds: int = 600      # one cell of a submitted notebook
    student_seconds: int = 3600  # everything of one student
    memory_gb: float = 6.0       # address space of each process a submission starts


# --- the reference run --------------------------------------------------------------------

def reference_key(params: dict, quick: bool, notebooks: Path) -> str:
    """What a reference run depends on: its parameters, Keras's backend and the
    instruction-set switch, the instructor's notebooks, the kit's code and pins, and the
    data files (by name, size and time)."""
    root = paths.project_root()
    h = hashlib.sha256(json.dumps({"params": params, "quick": quick, "backend": reproducibility.backend(),
                                   "exact": cpu_level.exact_requested()}, sort_keys=True).encode())
    files = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    for pattern in CHECKSUM_FILES:
        files += sorted(root.glob(pattern))
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    for f in sorted(p for p in paths.data_dir().rglob("*") if p.is_file()):
        st = f.stat()
        h.update(f"{f.relative_to(paths.data_dir())} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()


def reference_run(out: Path, params: dict, quick: bool, graded: list[str], run: Run,
                  notebooks: Path) -> tuple[Path, str]:
    """Run the instructor's notebooks up to the last graded one and keep a snapshot of
    the run folder before each graded notebook; reuse an earlier one made from the same
    parameters, code and notebooks. Returns the snapshots' folder and the run's key."""
    from . import runner  # noqa: PLC0415

    ref = out / "reference"
    snapshots = ref / "snapshots"
    key = reference_key(params, quick, notebooks)
    done = ref / "complete.json"
    if done.exists() and json.loads(done.read_text()).get("key") == key:
        print(f"reference run: reusing {paths.show(ref)}/ (same parameters, code and notebooks)")
        return snapshots, key
    if ref.exists():
        shutil.rmtree(ref)
    ref.mkdir(parents=True)
    paths.mark_run_dir(ref)
    nbs = runner.notebooks(notebooks)
    last = max(i for i, nb in enumerate(nbs) if nb.stem in graded)
    dataset = params["dataset"]
    extra = {k: v for k, v in params.items() if k != "dataset"}

    def keep(nb: Path, run_dir: Path) -> None:
        if nb.stem in graded:
            reference.take(run_dir, snapshots, nb.stem)

    print(f"reference run: the instructor's notebooks on {dataset!r}"
          f"{' (quick mode)' if quick else ''}, kept as each graded notebook's inputs")
    run.todo = [dataset]
    error = runner.run_dataset(dataset, nbs[:last + 1], ref, quick, extra, [], run=run,
                               before=keep)
    if error:
        raise RuntimeError(f"the reference run failed, so nothing can be graded: {error}")
    atomic_write(done, lambda t: t.write_text(json.dumps({"key": key})))
    return snapshots, key


# --- one student --------------------------------------------------------------------------

def student_id(folder: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", folder.name)


def find_notebooks(folder: Path, names: list[str]) -> dict[str, Path]:
    """The submitted file for each notebook name, wherever it is in the folder."""
    found = {}
    for path in sorted(folder.rglob("*.ipynb"), key=lambda p: (len(p.parts), str(p))):
        if ".ipynb_checkpoints" in path.parts or path.name not in names:
            continue
        # a link could hand in someone else's file (the instructor's solutions): only
        # plain files inside the student's own folder count
        if path.is_symlink() or not path.is_file() or not paths.is_inside(path.resolve(), folder.resolve()):
            continue
        found.setdefault(path.name, path)
    return found


def tampered(submitted: Path, released: Path, instructor: Path) -> dict[str, str]:
    """Locked cells of the released notebook that the submission changed or deleted, by
    grade id, with what happened. A locked cell may read as released or as in the
    instructor's notebook (hidden tests in place)."""
    try:
        mine = course.locked_cells(submitted)
    except (ValueError, KeyError, TypeError, AttributeError):
        return {gid: f"{UNREADABLE} ({path_error(submitted)})" for gid in course.locked_cells(released)}
    theirs = course.locked_cells(instructor)
    found = {}
    for gid, source in course.locked_cells(released).items():
        if gid not in mine:
            found[gid] = "this check cell was deleted (or its grading metadata removed)"
        elif mine[gid].strip() not in (source.strip(), theirs.get(gid, "").strip()):
            found[gid] = "this check cell was edited"
    return found


def path_error(path: Path) -> str:
    try:
        json.loads(Path(path).read_text())
        return "its cells are not in the notebook format"
    except (OSError, ValueError) as err:
        return f"{type(err).__name__}: {err}"[:200]


def _limit(memory_gb: float):
    def apply():  # runs in the child before nbgrader starts; its kernels inherit it
        os.setsid()
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def error_messages(nb_path: Path) -> dict[str, str]:
    """For each graded cell of an executed notebook that raised: 'Error: message'."""
    if not nb_path.exists():
        return {}
    nb = json.loads(nb_path.read_text())
    messages = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade"):
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            names = [e.get("ename", "") for e in errors]
            if "CellTimeoutError" in names or "KeyboardInterrupt" in names:
                messages[meta["grade_id"]] = "the cell ran past the time limit per cell and was stopped"
            else:
                e = errors[-1]
                messages[meta["grade_id"]] = ANSI.sub("", f"{e.get('ename')}: {e.get('evalue')}")
    return messages


def autograde(box: Path, sid: str, notebook: str, snapshots: Path, limits: Limits, work: Path,
              seconds: float) -> str:
    """Run ``nbgrader autograde`` on one student's notebooks matching ``notebook`` ("*":
    all), within the limits and ``seconds`` of the student's time left: "graded", or
    "time limit". Whatever it started is stopped before this returns."""
    env = course.nbgrader_env({"ANOMALY_KIT_BUILD": str(work / "build"),
                               reference.ENV: str(snapshots)})
    cmd = course.nbgrader_command(
        "autograde", course.ASSIGNMENT, f"--student={sid}", f"--notebook={notebook}", "--force",
        f"--ExecutePreprocessor.timeout={limits.cell_seconds}",
        "--ExecutePreprocessor.interrupt_on_timeout=True")
    log = work / f"autograde-{'all' if notebook == '*' else notebook}.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=box, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                preexec_fn=_limit(limits.memory_gb))
        try:
            return "graded" if _wait(proc, seconds) else "time limit"
        finally:
            _stop_tree(proc)


def _wait(proc: subprocess.Popen, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``proc``, noting the process groups of everything it
    starts (nbgrader's kernels run in sessions of their own); True if it ended."""
    import psutil  # noqa: PLC0415

    proc.groups = {proc.pid}
    deadline = time.monotonic() + max(seconds, 1)
    while time.monotonic() < deadline:
        try:
            proc.wait(timeout=1)
            return True
        except subprocess.TimeoutExpired:
            pass
        try:
            for child in psutil.Process(proc.pid).children(recursive=True):
                proc.groups.add(os.getpgid(child.pid))
        except (psutil.Error, ProcessLookupError):
            pass
    return False


def _stop_tree(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and every process left in the groups it started, kernels and what
    they started included, so that nothing of one student runs on into the next."""
    import psutil  # noqa: PLC0415

    groups = getattr(proc, "groups", {proc.pid})
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()
    for p in psutil.process_iter():  # a kernel's workers whose group leader already ended
        try:
            if os.getpgid(p.pid) in groups and p.pid != os.getpid():
                p.kill()
        except (psutil.Error, ProcessLookupError):
            pass


def read_scores(box: Path, sid: str, notebooks) -> dict[str, dict]:
    """The automatic score of every graded cell, per notebook nbgrader graded."""
    from nbgrader.api import Gradebook, MissingEntry  # noqa: PLC0415

    scores = {}
    with Gradebook(f"sqlite:///{box / 'gradebook.db'}") as gb:
        for nb in notebooks:
            try:
                sub = gb.find_submission_notebook(nb, course.ASSIGNMENT, sid)
            except MissingEntry:
                continue
            scores[nb] = {g.name: g.auto_score for g in sub.grades}
    return scores


class Cache:
    """Grades of notebooks already graded against the same reference run, notebooks,
    code and limits, by the notebook file's content: a file identical to one graded
    before is not run again (a student who resubmits only one notebook, or several
    untouched copies)."""

    def __init__(self, folder: Path | None, key: str):
        self.folder, self.key = folder, key

    def _name(self, data: bytes) -> str:
        return hashlib.sha256(self.key.encode() + b"\0" + data).hexdigest()

    def get(self, data: bytes) -> tuple[dict, Path] | None:
        if self.folder is None:
            return None
        entry = self.folder / f"{self._name(data)}.json"
        executed = self.folder / f"{self._name(data)}.ipynb"
        try:
            return json.loads(entry.read_text()), executed if executed.exists() else None
        except (OSError, ValueError):
            return None  # not there, or unreadable: grade the notebook again

    def put(self, data: bytes, result: dict, executed: Path) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = self._name(data)
        shutil.copyfile(executed, self.folder / f"{name}.ipynb")
        atomic_write(self.folder / f"{name}.json",  # last: marks the entry whole
                     lambda t: t.write_text(json.dumps(result)))

    # A job on a cluster worker has no access to this folder: it gets the entries of its
    # student's files (carried), and its new entries come back with its results (store).
    def carried(self, files: list[bytes]) -> dict[str, dict]:
        """The entries of ``files`` that are there: name -> result and executed notebook."""
        found = {}
        for data in files:
            hit = self.get(data)
            if hit is not None:
                result, executed = hit
                found[self._name(data)] = {"result": result,
                                           "executed": executed.read_bytes() if executed else None}
        return found

    def store(self, entries: dict[str, dict]) -> None:
        """Write entries a job made (as :meth:`carried` gives them) into the folder."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, entry in entries.items():
            (self.folder / f"{name}.ipynb").write_bytes(entry["executed"])
            atomic_write(self.folder / f"{name}.json",
                         lambda t, r=entry["result"]: t.write_text(json.dumps(r)))


class CarriedCache(Cache):
    """The cache a grading job takes to its worker: the entries it was given, in a
    folder of its own; the names of the entries it adds are in :attr:`added`, for the
    job to bring home (:meth:`entries`)."""

    def __init__(self, folder: Path, key: str, entries: dict[str, dict]):
        super().__init__(folder, key)
        self.store(entries)
        self.added: list[str] = []

    def put(self, data: bytes, result: dict, executed: Path) -> None:
        super().put(data, result, executed)
        self.added.append(self._name(data))

    def entries(self, names: list[str]) -> dict[str, dict]:
        return {name: {"result": json.loads((self.folder / f"{name}.json").read_text()),
                       "executed": (self.folder / f"{name}.ipynb").read_bytes()}
                for name in names}


def grade_student(folder: Path, released: Path, graded: dict[str, list[dict]], snapshots: Path,
                  limits: Limits, out: Path, cache: Cache | None = None) -> tuple[list[dict], float]:
    """Grade one student's folder; returns the grade rows and the seconds it took."""
    start = time.perf_counter()
    cache = cache or Cache(None, "")
    sid = student_id(folder)
    found = find_notebooks(folder, [f"{nb}.ipynb" for nb in graded])
    work = Path(tempfile.mkdtemp(prefix=f"grade-{sid}-"))
    keep = out / "autograded" / sid
    results: dict[str, dict] = {}  # notebook -> {"scores": ..., "messages": ...}
    flags: dict[str, str] = {}
    stopped: set[str] = set()  # notebooks the student's time limit cut short
    try:
        box = work / "course"
        course.write_config(box)
        shutil.copy2(course.course_dir() / "gradebook.db", box / "gradebook.db")
        target = box / "submitted" / sid / course.ASSIGNMENT
        target.mkdir(parents=True)
        todo = {}
        for name, path in found.items():
            nb, data = Path(name).stem, path.read_bytes()
            (target / name).write_bytes(data)  # a copy: the submission stays as it was
            flags.update(tampered(target / name, released / name,
                                  course.course_dir() / "source" / course.ASSIGNMENT / name))
            hit = cache.get(data)
            if hit is None:
                todo[nb] = data
                continue
            results[nb], executed = hit
            (target / name).unlink()  # graded before: not run again
            if executed is not None:
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(executed, keep / name)
        autograded = box / "autograded" / sid / course.ASSIGNMENT
        pending, alone = dict(todo), False
        while pending:  # all at once; a notebook left without a result then runs alone
            left = limits.student_seconds - (time.perf_counter() - start)
            batch = [next(iter(pending))] if alone else list(pending)
            name = batch[0] if alone else "*"
            status = autograde(box, sid, name, snapshots, limits, work, left) if left > 0 \
                else "time limit"
            scores = read_scores(box, sid, batch)
            for nb in batch:
                executed = autograded / f"{nb}.ipynb"
                unscored = nb not in scores or None in scores[nb].values()
                if status == "time limit" and unscored:  # cut short: its copy is not a result
                    stopped.add(nb)
                elif nb in scores and executed.exists():
                    results[nb] = {"scores": scores[nb], "messages": error_messages(executed)}
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(executed, keep / f"{nb}.ipynb")
                    timed_out = any("time limit" in m for m in results[nb]["messages"].values())
                    if status == "graded" and not timed_out:  # a machine's load may not repeat
                        cache.put(pending[nb], results[nb], executed)
                elif alone:  # nbgrader stopped on it (its kernel died): no executed copy
                    crash = "the notebook crashed: " + _log_tail(work / f"autograde-{nb}.log")
                    results[nb] = {"scores": scores.get(nb, {}),
                                   "messages": {ex["grade_id"]: crash for ex in graded[nb]}}
                else:
                    continue  # stays pending, to run alone
                del pending[nb]
            if status == "time limit":
                stopped.update(pending)
                break
            alone = True
        rows = [grade_row(sid, nb, ex, found, flags, results, nb in stopped, limits, work)
                for nb in graded for ex in graded[nb]]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows, time.perf_counter() - start


def grade_row(sid: str, nb: str, ex: dict, found: dict, flags: dict, results: dict,
              timed_out: bool, limits: Limits, work: Path) -> dict:
    """One exercise's line of grades.csv."""
    gid, points = ex["grade_id"], ex["points"]
    row = dict(student=sid, notebook=nb, exercise=gid.removesuffix("_tests"), score=0.0,
               max_score=points, status="failed", message="")
    stopped = f"grading stopped at the time limit of {limits.student_seconds}s per student"
    score = results.get(nb, {}).get("scores", {}).get(gid)
    if f"{nb}.ipynb" not in found:
        row.update(status="missing", message=f"no {nb}.ipynb in the submission")
    elif gid in flags:  # an unreadable file is a failure, not tampering
        row.update(status="failed" if flags[gid].startswith(UNREADABLE) else "flagged",
                   message=flags[gid])
    elif nb not in results:
        row.update(status="not graded", message=stopped if timed_out else
                   "the notebook could not be graded: " + _log_tail(work / f"autograde-{nb}.log"))
    elif score is None and timed_out:
        row.update(status="not graded", message=f"{stopped} before this check ran")
    else:
        row["score"] = float(score or 0.0)
        if score is not None and score >= points:
            row.update(status="passed")
        else:
            row["message"] = results[nb]["messages"].get(
                gid, "the check cell did not run (an earlier error stopped the notebook)")
    return row


def _log_tail(log: Path) -> str:
    """What nbgrader's log says went wrong: its error lines and the exception's last line."""
    if not log.exists():
        return "nbgrader did not start"
    lines = log.read_text(errors="replace").splitlines()
    errors = [ln.strip() for ln in lines if "ERROR" in ln and "Traceback" not in ln
              and "see the the above traceback" not in ln]
    raised = [ln.strip() for ln in lines if re.match(r"\s*[\w.]+(Error|Exception|Exit)\b:?", ln)]
    return " / ".join(dict.fromkeys(raised[-1:] + errors[-2:])) or "see nbgrader's log"


# --- one student as a job on a cluster worker (helpers.jobs) --------------------------------

def prepare_grade_job(spec: dict, work: Path, shared: bytes) -> dict:
    """On the worker: the class's inputs (the course folder and the reference run's
    snapshots, unpacked once per worker), and this student's files and cached grades."""
    from . import jobs  # noqa: PLC0415

    inputs = jobs.unpack_shared(shared, spec["shared_id"])
    folder = work / "submission" / spec["student"]
    folder.mkdir(parents=True)
    for name, data in spec.pop("files").items():
        (folder / Path(name).name).write_bytes(data)
    Cache(work / "cache", spec["cache_key"]).store(spec.pop("cache"))
    spec["inputs"] = str(inputs)
    spec["env"] = {**spec.get("env", {}), "ANOMALY_KIT_BUILD": str(inputs)}  # its course/
    return spec


def run_grade_job(spec: dict, work: Path) -> dict:
    """In the job's process: grade the student, as on one machine."""
    def stop(signum, frame):  # noqa: ARG001  (unwind: nbgrader and its kernels are stopped)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    inputs = Path(spec["inputs"])
    cache = CarriedCache(work / "cache", spec["cache_key"], {})
    rows, seconds = grade_student(work / "submission" / spec["student"], inputs / spec["released"],
                                  spec["graded"], inputs / "snapshots", Limits(**spec["limits"]),
                                  work / "out", cache)
    return {"rows": rows, "seconds": seconds, "added": cache.added}


def collect_grade_job(spec: dict, work: Path) -> dict:
    """On the worker: the executed notebooks and the new cache entries, to go home."""
    from . import transfer  # noqa: PLC0415

    added = json.loads((work / "result.json").read_text())["added"]
    executed = work / "out" / "autograded" / spec["student"]
    return {"archive": transfer.pack(executed) if executed.is_dir() else None,
            "cache": CarriedCache(work / "cache", spec["cache_key"], {}).entries(added)}


def grade_kind():
    from . import jobs  # noqa: PLC0415

    return jobs.Kind("helpers.grading", prepare_grade_job, collect_grade_job)


# --- the class ----------------------------------------------------------------------------

def grade_class(folders: list[Path], released: Path, graded: dict[str, list[dict]],
                snapshots: Path, limits: Limits, cache: Cache, out: Path, run: Run,
                scheduler: str | None, jobs_n: int) -> tuple[list[dict], dict[str, float]]:
    """Grade every student's folder as one job on the Dask cluster (a local one of
    ``jobs_n`` workers unless ``scheduler`` names one), except a folder whose notebooks
    are all in the cache: that one is graded here, from the cache, with no job. The
    course folder and the reference run's snapshots go to each worker once; each
    student's notebooks and their cached grades go with the job, and the executed
    notebooks and new cache entries come back. Returns the grade rows, in the class's
    order, and each student's seconds."""
    from dataclasses import asdict  # noqa: PLC0415

    from . import cluster, jobs, transfer  # noqa: PLC0415

    names = [f"{nb}.ipynb" for nb in graded]
    inputs = transfer.pack({"course": course.course_dir(), "snapshots": snapshots})
    inputs_id = hashlib.sha256(inputs).hexdigest()
    env = cluster.job_environment()

    def spec(folder: Path):
        def make() -> dict:  # at submission, so that the class is not all in memory at once
            sid = student_id(folder)
            run.started(f"student {sid}", "(grading)")
            files = {name: path.read_bytes() for name, path in find_notebooks(folder, names).items()}
            return dict(student=sid, files=files, cache=cache.carried(list(files.values())),
                        cache_key=cache.key, shared_id=inputs_id, graded=graded,
                        released=f"course/{released.relative_to(course.course_dir()).as_posix()}",
                        limits=asdict(limits), env=env, fingerprint=jobs.fingerprint())
        return make

    results: dict[str, tuple[list[dict], float]] = {}

    def done(sid: str, got: list[dict], took: float) -> None:
        results[sid] = (got, took)
        total, of = sum(r["score"] for r in got), sum(r["max_score"] for r in got)
        print(f"  {sid:<24}{total:g}/{of:g} points in {took:.0f}s", flush=True)

    def on_result(sid: str, result) -> None:
        run.finished(f"student {sid}")
        if isinstance(result, Exception) or result.get("cancelled"):
            why = "it was cancelled" if isinstance(result, dict) else f"{type(result).__name__}: {result}"
            got = [dict(student=sid, notebook=nb, exercise=ex["grade_id"].removesuffix("_tests"),
                        score=0.0, max_score=ex["points"], status="not graded",
                        message=f"grading this submission failed: {why}")
                   for nb in graded for ex in graded[nb]]
            done(sid, got, 0.0)
            return
        if result.get("archive"):
            transfer.unpack(result["archive"], out / "autograded" / sid)
        cache.store(result["cache"])
        done(sid, result["rows"], result["seconds"])

    order = [student_id(folder) for folder in folders]
    cached = [folder for folder in folders if all_cached(folder, names, cache)]
    if cached:  # nothing of theirs runs: graded here, without a job (a class graded again)
        print(f"  {len(cached)} submission(s) graded before, unchanged: their grades come from "
              f"{paths.show(cache.folder)}/", flush=True)
    for folder in cached:
        sid = student_id(folder)
        run.started(f"student {sid}", "(from the cache)")
        done(sid, *grade_student(folder, released, graded, snapshots, limits, out, cache))
        run.finished(f"student {sid}")
    specs = {student_id(folder): spec(folder) for folder in folders if folder not in cached}
    if specs:
        with cluster.Cluster(scheduler, jobs_n) as jobs_cluster:
            run.on_interrupt = jobs_cluster.cancel
            print(f"  submissions are graded on {jobs_cluster.describe()}", flush=True)
            try:
                jobs_cluster.run(grade_kind(), specs, lambda sid, event: None, on_result,
                                 status=lambda text: print(f"  {text}", flush=True), shared=inputs)
            finally:
                run.on_interrupt = None
                jobs_cluster.run_everywhere(jobs.remove_shared, inputs_id)
    rows = [row for sid in order for row in results[sid][0]]
    return rows, {sid: results[sid][1] for sid in order}


def all_cached(folder: Path, names: list[str], cache: Cache) -> bool:
    """Whether the student's folder holds notebooks and every one was graded before."""
    found = find_notebooks(folder, names)
    return bool(found) and all(cache.get(path.read_bytes()) is not None for path in found.values())


def students(submissions: Path) -> list[Path]:
    if not submissions.is_dir():
        raise ParameterError(f"SUBMISSIONS={str(submissions)!r} is not a folder; give a folder "
                             "that holds one folder per student")
    found = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not found:
        raise ParameterError(f"SUBMISSIONS={str(submissions)!r} holds no student folders; it "
                             "must hold one folder per student, each with that student's notebooks")
    ids = [student_id(p) for p in found]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ParameterError(f"student folders {', '.join(dupes)} clash once their names are made "
                             "safe (letters, digits, '_', '.', '-'); rename them")
    return found


def summary_table(rows: list[dict], seconds: dict[str, float]):
    import pandas as pd  # noqa: PLC0415

    df = pd.DataFrame(rows, columns=COLUMNS)
    by_nb = df.pivot_table(index="student", columns="notebook", values="score", aggfunc="sum",
                           sort=False)
    out = by_nb.copy()
    out["total"] = df.groupby("student", sort=False)["score"].sum()
    out["of"] = df.groupby("student", sort=False)["max_score"].sum()
    out["flagged"] = df.assign(f=df.status == "flagged").groupby("student", sort=False)["f"].sum()
    out["seconds"] = pd.Series(seconds).round(0)
    return out


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("submissions", help="folder with one folder per student")
    ap.add_argument("--dataset", default="synthetic", help="dataset the notebooks are graded on")
    ap.add_argument("--quick", nargs="?", const="1", default="", help="quick reference run (1/0)")
    for name in ("seed", "epochs", "models", "threshold", "threads", "options", "seeds"):
        ap.add_argument(f"--{name}", default=None, help=f"notebook parameter {name}; empty: default")
    ap.add_argument("--cell-timeout", type=int, default=Limits.cell_seconds,
                    help="seconds one cell of a submission may run (default %(default)s)")
    ap.add_argument("--timeout", type=int, default=Limits.student_seconds,
                    help="seconds one student's notebooks may run in all (default %(default)s)")
    ap.add_argument("--memory", type=float, default=Limits.memory_gb,
                    help="GiB of memory each process of a submission may use (default %(default)s)")
    cluster.add_arguments(ap, "students")
    ap.add_argument("--out", default=None, help="output folder (default build/grades)")
    ap.add_argument("--notebooks", default=None,
                    help="the instructor's notebooks, solutions in place (default notebooks/)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    from . import jobs, runner  # noqa: PLC0415

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [jobs.JOB_FLAG]:  # one student's job, on a cluster worker
        return jobs.child(argv[1:], run_grade_job)
    args = parse_args(argv)
    out = Path(args.out).resolve() if args.out else paths.build_dir() / "grades"
    notebooks = Path(args.notebooks).resolve() if args.notebooks else paths.project_root() / "notebooks"
    try:
        quick = runner.parse_quick(args.quick)
        params = {"dataset": args.dataset, **runner.notebook_params(args)}
        runner.check_params([args.dataset], quick,
                            {args.dataset: {k: v for k, v in params.items() if k != "dataset"}})
        cluster.check_scheduler(args.scheduler)
        for name, value, least in (("--cell-timeout", args.cell_timeout, 1), ("--jobs", args.jobs, 1),
                                   ("--timeout", args.timeout, 1), ("--memory", args.memory, 1)):
            if value < least:
                raise ParameterError(f"{name}={value} is not valid; expected {least} or more")
        class_folders = students(Path(args.submissions))
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    limits = Limits(args.cell_timeout, args.timeout, args.memory)
    if out.exists() and any(out.iterdir()) and not paths.kit_made(out):
        print(f"error: --out {out} is a folder the kit did not make; choose a new or empty one",
              file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    paths.mark_run_dir(out)
    for stale in ("grades.csv", "feedback", "autograded"):  # no old grades pass for new ones
        target = out / stale
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    with Run(out) as run:
        try:
            released = course.release(notebooks)
        except course.CourseError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        graded = {nb.stem: course.exercises(nb) for nb in sorted(released.glob("*.ipynb"))}
        graded = {nb: ex for nb, ex in graded.items() if ex}
        if not graded:
            print("error: the notebooks hold no graded exercises (cells with nbgrader's "
                  "'grade' metadata), so there is nothing to grade", file=sys.stderr)
            return 1
        try:
            snapshots, key = reference_run(out, params, quick, list(graded), run, notebooks)
        except RuntimeError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        loose = sorted(p.name for p in Path(args.submissions).iterdir()
                       if not p.is_dir() and not p.name.startswith("."))
        if loose:  # e.g. a zip nobody unpacked: say so rather than leave a student out silently
            print(f"note: not a student folder, so not graded: {', '.join(loose)}")
        print(f"grading {len(class_folders)} submission(s) from {args.submissions}: "
              f"{sum(map(len, graded.values()))} exercises in {', '.join(graded)}")
        cache = Cache(out / "cache", f"{key} {limits}")
        try:
            rows, seconds = grade_class(class_folders, released, graded, snapshots, limits, cache,
                                        out, run, args.scheduler, args.jobs)
        except ParameterError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    # Written once every submission has run, so that no student's code can touch them.
    for sid in seconds:
        feedback.write(out / "feedback" / f"{sid}.html", sid,
                       [r for r in rows if r["student"] == sid], seconds[sid])
    import pandas as pd  # noqa: PLC0415

    table = pd.DataFrame(rows, columns=COLUMNS)
    # a message a student's code chose must not open as a formula in a spreadsheet
    table["message"] = table["message"].map(lambda m: f"'{m}" if m[:1] in ("=", "+", "-", "@") else m)
    summary.write(table, out / "grades.csv")
    pd.set_option("display.width", 200)
    print(f"\nGrades ({'quick reference run' if quick else 'full reference run'} on "
          f"{args.dataset!r}); per exercise in {paths.show(out / 'grades.csv')}, feedback in "
          f"{paths.show(out / 'feedback')}/:\n")
    print(summary_table(rows, seconds).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
