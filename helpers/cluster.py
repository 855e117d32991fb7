"""Where the kit's independent jobs run: a Dask cluster, a local one by default.

A job is one dataset's chain of notebooks (``make run-all``) or one student's grading
(``make grade``); :mod:`helpers.jobs` runs it on a worker. With no scheduler named, the
kit starts a ``LocalCluster`` of ``JOBS`` worker processes (default 1: a laptop runs one
job at a time, as it always did), one thread each, since every job pins its own
TensorFlow threads. ``SCHEDULER=tcp://host:8786`` (the runner's and grader's
``--scheduler``) sends the same jobs to a cluster that is already running; its workers
need the same kit, set up with ``make setup``, and the data the jobs read.

- **Results come home through the client**: a job returns its run folder as a zip
  (:mod:`helpers.transfer`), unpacked here into the same place a run on one machine
  writes. No shared folder is needed, and a job that dies half-way leaves nothing here.
- **Faults**: a worker that dies during a job (killed, out of memory) costs that job's
  time only: the scheduler runs the job again on another worker. A job that fails by
  itself (a notebook's error) returns its message and is not run again.
- **Ctrl-C**: :meth:`Cluster.cancel` sets the run's Dask event, on which every job stops
  its process and kernels, and cancels the jobs still waiting, on every worker. A local
  cluster's jobs get SIGTERM from the run instead (:func:`stop_local_jobs`), and no event.
- **Progress**: each job's notebook lines (:class:`helpers.progress.JobLines`) and, when
  there are several jobs, a line of jobs done, running and waiting; the local cluster's
  dashboard address when ``bokeh`` is installed (it is not required).
"""
from __future__ import annotations

import importlib.util
import logging
import time
import uuid

from .checks import ParameterError
from .parallel import SCHEDULER_ENV  # set in a job's kernels: their trainings go there too

CONNECT_SECONDS = 10
CANCEL_SECONDS = 40


def check_scheduler(address: str | None) -> str | None:
    """``SCHEDULER``'s value: None (a local cluster) or a Dask address like
    ``tcp://host:8786``."""
    text = (address or "").strip()
    if not text:
        return None
    if "://" not in text or text.startswith("://") or text.endswith("://"):
        raise ParameterError(f"SCHEDULER={text!r} is not a Dask scheduler's address; write it "
                             "as tcp://host:8786 (or tls://host:8786), or leave it empty for "
                             "a local cluster")
    return text


def _refused_at_once(address: str) -> None:
    """Raise ConnectionRefusedError when nothing listens at a tcp/tls ``address`` (Dask's
    client would try again until its timeout)."""
    import socket  # noqa: PLC0415
    from urllib.parse import urlsplit  # noqa: PLC0415

    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:  # not a port: Dask's client says so
        return
    if parts.scheme in ("tcp", "tls") and parts.hostname and port:
        socket.create_connection((parts.hostname, port), timeout=CONNECT_SECONDS).close()


def add_arguments(parser, what: str) -> None:
    """The runner's and the grader's ``--jobs`` and ``--scheduler``; ``what`` says what a
    job is ("datasets", "students")."""
    parser.add_argument("--jobs", type=int, default=1,
                        help=f"worker processes of the local Dask cluster: {what} side by side "
                             "(default 1; timings are only comparable at 1)")
    parser.add_argument("--scheduler", default=None,
                        help=f"a Dask scheduler's address (tcp://host:8786): {what} run as jobs on "
                             "that cluster's workers; empty: a local cluster of --jobs workers")


def job_environment(scheduler: str | None = None) -> dict:
    """The variables a job's processes (and their kernels) start with, whatever the
    worker's own environment: Keras's backend and the instruction-set switch of the
    machine that started the run (the worker sets the level's variables for its own CPU,
    :func:`helpers.cpu_level.environment`), and the scheduler for the notebooks'
    trainings."""
    from . import cpu_level, reproducibility  # noqa: PLC0415

    env = {"KERAS_BACKEND": reproducibility.backend(),
           cpu_level.SWITCH: "1" if cpu_level.exact_requested() else "0",
           "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    if scheduler:
        env[SCHEDULER_ENV] = scheduler
    return env


class Cluster:
    """A Dask client for one run: ``with Cluster(scheduler, jobs) as cluster: ...``."""

    def __init__(self, scheduler: str | None = None, jobs: int = 1):
        self.scheduler, self.jobs = check_scheduler(scheduler), jobs
        self.client = self.local = None
        self.cancel_name = f"anomaly-kit-cancel-{uuid.uuid4().hex}"
        self.futures: list = []
        self.stopped = False

    def __enter__(self) -> "Cluster":
        from distributed import Client, LocalCluster  # noqa: PLC0415

        if self.scheduler:
            try:
                _refused_at_once(self.scheduler)
                self.client = Client(self.scheduler, timeout=CONNECT_SECONDS)
            except (OSError, TimeoutError) as err:
                raise ParameterError(
                    f"SCHEDULER={self.scheduler!r}: no Dask scheduler answered there ({err}); "
                    "start one (`dask scheduler`, then `dask worker ADDRESS` on each machine), "
                    "or leave SCHEDULER empty for a local cluster") from None
        else:
            # a free port (the scheduler serves its health page there even without bokeh)
            self.local = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                      dashboard_address="127.0.0.1:0", host="127.0.0.1",
                                      memory_limit=0, silence_logs=logging.ERROR)
            self.client = Client(self.local)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.local is not None:
            self.local.close()

    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def wait_for_workers(self, seconds: float = 60) -> int:
        """The number of workers, waiting up to ``seconds`` for the first one."""
        deadline = time.monotonic() + seconds
        while True:
            n = self.workers()
            if n or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if not n:
            raise ParameterError(f"the Dask cluster at {self.scheduler} has no workers; start "
                                 f"some with `dask worker {self.scheduler}` on the machines that "
                                 "should run the jobs")
        return n

    def describe(self) -> str:
        if self.local is not None:
            where = (f"a local Dask cluster of {self.jobs} worker process"
                     f"{'es' if self.jobs > 1 else ''}")
            if self.local.dashboard_link and importlib.util.find_spec("bokeh"):
                where += f" (dashboard: {self.local.dashboard_link})"
            return where
        return f"the Dask cluster at {self.scheduler} ({self.workers()} workers now)"

    def run(self, kind, specs: dict, on_event, on_result, status=None,
            shared: bytes | None = None) -> None:
        """Run one job of ``kind`` (a :class:`helpers.jobs.Kind`) per entry of ``specs``
        (job name -> spec, or a function that makes
        it when the job is submitted), at most one per worker at a time;
        ``on_event(job, event)`` gets each job's progress, ``on_result(job,
        result_or_error)`` each result as it comes (a dict, or the exception of a job that
        could not run), ``status(text)`` the jobs' counts. ``shared`` (bytes every job
        needs) goes to each worker once."""
        from distributed import Event, as_completed  # noqa: PLC0415

        from . import jobs  # noqa: PLC0415

        cancel = self.cancel_event()
        if cancel:
            Event(cancel, client=self.client)  # exists before any job waits on it
        shared_future = None if shared is None else self.client.scatter(shared, broadcast=True)
        prefix = uuid.uuid4().hex[:8]
        names = {f"{prefix}-{name}": name for name in specs}

        def handle(event) -> None:
            _, msg = event
            name = names.get(msg.get("job"))
            if name is not None and not self.stopped:  # an interrupted run says nothing more
                on_event(name, msg)

        self.client.subscribe_topic(jobs.TOPIC, handle)
        waiting = list(names)
        placed: dict[str, str] = {}  # job -> the worker it was sent to, while it runs
        done = 0

        def submit_to_free_workers(queue) -> None:
            """One waiting job to each worker that runs none of this run's jobs. A job
            leaves its worker's thread free while it runs (so that the trainings its
            notebooks send can run there), so the scheduler would put every job on the
            first worker: each is sent to a worker of its own instead, and may go to
            another only if that one is lost."""
            workers = list(self.client.scheduler_info(n_workers=-1).get("workers", {}))
            free = [w for w in workers if w not in placed.values()]
            while waiting and free and not self.stopped:
                job, worker = waiting.pop(0), free.pop(0)
                spec = specs[names[job]]
                future = self.client.submit(jobs.execute, kind, spec() if callable(spec) else spec,
                                            job, cancel, shared_future,
                                            key=f"{kind.module}-{job}", pure=False, workers=[worker],
                                            allow_other_workers=True)
                future.job = job
                placed[job] = worker
                self.futures.append(future)
                queue.add(future)
                on_event(names[job], {"kind": "submitted"})  # running, before its first event

        def say():
            if status is not None and len(names) > 1:
                status(f"jobs: {done} done, {len(placed)} running, {len(waiting)} waiting")

        queue = as_completed(loop=self.client.loop)
        try:
            self.wait_for_workers()
            submit_to_free_workers(queue)
            say()
            while not queue.is_empty() or (waiting and not self.stopped):
                if queue.is_empty():  # every worker is gone: wait for one, or give up
                    try:
                        self.wait_for_workers()
                    except ParameterError as err:
                        for job in waiting:
                            on_result(names[job], err)
                        return
                    submit_to_free_workers(queue)
                    continue
                future = next(queue)
                done += 1
                placed.pop(future.job, None)
                try:
                    result = future.result()
                except Exception as err:  # noqa: BLE001  (reported once, with the job's name)
                    result = err
                on_result(names[future.job], result)
                submit_to_free_workers(queue)
                say()
        finally:
            self.client.unsubscribe_topic(jobs.TOPIC)

    def cancel_event(self) -> str | None:
        """The name of the Dask event on which this run's jobs stop, or None on a local
        cluster: its jobs are stopped with SIGTERM (:meth:`cancel`), and waiting on an
        event would give each worker a Dask client of its own, whose last messages can
        still be in flight when the worker's process ends with the run (asyncio then
        writes "Future exception was never retrieved" on the run's stderr)."""
        return None if self.local is not None else self.cancel_name

    def run_everywhere(self, func, *args) -> None:
        """``func(*args)`` on every worker now connected (clean-up: errors are ignored)."""
        try:
            self.client.run(func, *args)
        except Exception:  # noqa: BLE001
            pass

    def cancel(self) -> None:
        """Stop every job of this run on every worker: running ones stop their processes
        and kernels, waiting ones are cancelled. Waits until the running ones have
        stopped (at most CANCEL_SECONDS)."""
        from distributed import Event, wait  # noqa: PLC0415

        self.stopped = True
        logging.getLogger("distributed").setLevel(logging.CRITICAL)  # its complaints as it ends
        if self.local is not None:
            stop_local_jobs()
            try:  # closed, not killed: a killed worker's nanny would start another
                self.local.close(timeout=15)
            except Exception:  # noqa: BLE001  (the run ends its processes next, whatever is left)
                pass
            return
        if self.client is None:
            return
        try:
            Event(self.cancel_name, client=self.client).set()
            running = [f for f in self.futures if not f.done()]
            wait(running, timeout=CANCEL_SECONDS)
            self.client.cancel(self.futures, force=True)
        except Exception:  # noqa: BLE001  (the run is ending anyway; the local cluster dies with it)
            pass


def stop_local_jobs(seconds: float = 20) -> None:
    """Send SIGTERM to the job processes this process's local cluster started, so that each
    stops its kernels and removes their files itself, and wait for them (at most
    ``seconds``); the run then ends the cluster's processes."""
    import psutil  # noqa: PLC0415

    from .jobs import JOB_FLAG  # noqa: PLC0415

    found = []
    for p in psutil.Process().children(recursive=True):
        try:
            if JOB_FLAG in p.cmdline():
                p.terminate()
                found.append(p)
        except psutil.Error:
            pass
    psutil.wait_procs(found, timeout=seconds)

