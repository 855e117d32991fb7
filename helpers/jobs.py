"""One job on a Dask worker: a dataset's chain of notebooks (``make run-all``, the kind
``helpers.runner.CHAIN``) or one student's grading (``make grade``, ``helpers.grading.GRADE``).

:func:`execute` is what the client submits (:mod:`helpers.cluster`). On the worker it

1. checks that the worker runs the same kit (the same ``helpers`` code and pins) as the
   machine that started the run, and says so plainly if not;
2. runs the job in a process of its own, ``python -m MODULE --job SPEC`` (:func:`child`),
   in a fresh temporary folder, so that the job can be stopped whole: when the run is
   cancelled (Ctrl-C on the machine that started it) that process gets SIGTERM and stops
   its kernels; when the worker itself dies, it gets SIGTERM from the kernel (Linux's
   parent-death signal) and does the same, and Dask runs the job again on another worker;
3. passes that process's progress (one JSON line per event, :func:`send`) on to the client
   as Dask events on the topic :data:`TOPIC`, and
4. returns the results as bytes (a zip of the run folder, or the graded notebooks), which
   the client unpacks on the machine that started the run. No shared folder is needed.

A job that fails by itself (a notebook's error) returns its message like any result: Dask
does not run it again.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

TOPIC = "anomaly-kit"
JOB_FLAG = "--job"  # python -m MODULE --job SPEC.json: a job's own process
# What must be the same on every worker for its figures to be the home machine's.
KIT_FILES = ("helpers/**/*.py", "requirements.txt")
FOLDER_PREFIX = "anomaly-kit-job-"  # a job's temporary folder: this, the worker's pid, a suffix
# exit codes of a job's process that a signal stopped (its own handler's 128 + n, or the
# signal itself): SIGINT, SIGTERM, SIGHUP, SIGKILL
STOPPED = {130, 143, 129, 137, -2, -15, -1, -9}
STOP_SECONDS = 30  # how long a cancelled job's process may take to stop its kernels


class JobError(RuntimeError):
    """A job that cannot run on this worker, or whose process gave no result."""


def kit_root() -> Path:
    """The kit this worker's ``helpers`` package comes from."""
    return Path(__file__).resolve().parent.parent


def fingerprint(root: Path | None = None) -> str:
    """A hash of the kit's code and pins, by file name and content."""
    root = root or kit_root()
    h = hashlib.sha256()
    for pattern in KIT_FILES:
        for f in sorted(root.glob(pattern)):
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


# --- on the worker: the submitted function -------------------------------------------------

def execute(kind: "Kind", spec: dict, job: str, cancel: str | None,
            shared: bytes | None = None) -> dict:
    """Run one job of ``kind`` on this worker and return its results.
    ``job`` names its events; setting the Dask event ``cancel`` stops it (None: only
    SIGTERM to its process does, as on a local cluster). ``shared`` is what every job of
    the run needs (grading: the course and the reference run)."""
    from distributed import Event, get_client, get_worker, secede  # noqa: PLC0415

    worker = get_worker()
    if spec["fingerprint"] != fingerprint():
        raise JobError(f"the worker at {worker.address} runs another version of the kit "
                       f"({kit_root()}) than the machine that started the run: give every "
                       "worker the same kit (same helpers/ and requirements.txt) and restart it")
    stop = Event(cancel, client=get_client()) if cancel else None
    # The job waits on its own process: it leaves the worker's thread free, so that the
    # trainings a notebook sends to the cluster (helpers.parallel) can run there too.
    secede()

    def send_event(event: dict) -> None:
        worker.log_event(TOPIC, {"job": job, **event})

    remove_stale_folders()
    work = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
    try:
        spec = kind.prepare(dict(spec), work, shared)
        (work / "spec.json").write_text(json.dumps(spec))
        code, cancelled, errors = _child(kind, work, spec.get("env", {}), send_event, stop)
        if cancelled or code in STOPPED:  # cancelled, or stopped by a signal on this machine
            return {"cancelled": True, "worker": worker.address}
        if errors.strip():
            send_event({"kind": "stderr", "text": errors})
        result_file = work / "result.json"
        if not result_file.exists():
            raise JobError(f"the job's process on {worker.address} ended (exit code {code}) "
                           f"without a result: {errors.strip()[-1500:] or 'no message'}")
        result = json.loads(result_file.read_text())
        result.update(kind.collect(spec, work))
        result["worker"] = worker.address
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def worker_environment() -> dict:
    """The worker's environment less what Dask's nanny set in it for the worker alone
    (one thread for OpenMP, MKL and OpenBLAS): a job's kernels start as they would on
    the machine's command line, with the same threads and figures."""
    import dask  # noqa: PLC0415

    env = dict(os.environ)
    for key, value in (dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {}).items():
        if env.get(key) == str(value):
            del env[key]
    return env


def remove_stale_folders() -> None:
    """Remove the temporary folders of jobs whose worker died before it could (their
    names hold the worker's process id)."""
    import psutil  # noqa: PLC0415

    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        pid = folder.name.removeprefix(FOLDER_PREFIX).split("-")[0]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the worker dies (Linux only)."""
    os.setsid()  # a Ctrl-C at the worker's terminal reaches the job through its worker only
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: PLC0415

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _child(kind: "Kind", work: Path, env: dict, send, stop) -> tuple[int, bool, str]:
    """Run the job's process, at the instruction-set level ``env`` asks for on this CPU;
    pass on its events; stop it if ``stop`` (a Dask event, or None) is set. Returns its
    exit code, whether it was cancelled, and what it wrote to stderr."""
    from . import cpu_level  # noqa: PLC0415

    errors = open(work / "stderr.txt", "w+")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", kind.module, JOB_FLAG, str(work / "spec.json")],
                            cwd=work, env=cpu_level.environment({**worker_environment(), **env}),
                            stdout=subprocess.PIPE,
                            stderr=errors, text=True, preexec_fn=_die_with_parent)
    cancelled = threading.Event()

    def watch() -> None:
        while proc.poll() is None:
            try:
                if stop.wait(timeout=1):
                    cancelled.set()
                    _stop(proc)
                    return
            except Exception:  # noqa: BLE001  (the client is gone: keep waiting on the job)
                if proc.poll() is None:
                    threading.Event().wait(1)

    watcher = None if stop is None else threading.Thread(target=watch, daemon=True)
    if watcher is not None:
        watcher.start()
    try:
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"kind": "text", "text": line}
            send(event)
        code = proc.wait()
    finally:
        if proc.poll() is None:
            _stop(proc)
        if watcher is not None:  # its wait on the cancel event ends within a second of the process
            watcher.join(timeout=5)
        errors.seek(0)
        text = errors.read()
        errors.close()
    return code, cancelled.is_set(), text


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the job stops its kernels), then SIGKILL for its whole process group."""
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_SECONDS)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


# --- what a kind of job adds ----------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    """A kind of job: ``module`` runs it in its own process (``python -m MODULE --job
    SPEC``, through :func:`child`); ``prepare(spec, work, shared)`` writes its inputs into
    the job's folder on the worker and returns the spec its process reads;
    ``collect(spec, work)`` gathers what goes home besides that process's result."""

    module: str
    prepare: Callable
    collect: Callable


def send(event: dict) -> None:
    """In a job's process: one progress event, for the terminal that started the run."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def child(argv: list[str], run) -> int:
    """A job's process (``python -m MODULE --job SPEC``): ``run(spec, work)`` gives the
    result, written to ``result.json`` beside the spec."""
    if len(argv) != 1:
        print(f"usage: python -m MODULE {JOB_FLAG} SPEC.json", file=sys.stderr)
        return 2
    spec_file = Path(argv[0])
    result = run(json.loads(spec_file.read_text()), spec_file.parent)
    tmp = spec_file.parent / "result.json.tmp"
    tmp.write_text(json.dumps(result))
    tmp.replace(spec_file.parent / "result.json")
    return 0


# --- inputs every job of a run shares -----------------------------------------------------------

SHARED_PREFIX = "anomaly-kit-shared-"


def shared_folder(shared_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"{SHARED_PREFIX}{shared_id[:16]}"


def unpack_shared(data: bytes, shared_id: str) -> Path:
    """A run's shared inputs (a packed folder), unpacked once per worker machine and kept
    for the run's other jobs; :func:`remove_shared` removes them when the run ends."""
    import fcntl  # noqa: PLC0415

    from . import transfer  # noqa: PLC0415

    folder = shared_folder(shared_id)
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".complete").exists():
            transfer.unpack(data, folder)
            (folder / ".complete").write_text(shared_id)
    return folder


def remove_shared(shared_id: str) -> None:
    folder = shared_folder(shared_id)
    shutil.rmtree(folder, ignore_errors=True)
    Path(f"{folder}.lock").unlink(missing_ok=True)
