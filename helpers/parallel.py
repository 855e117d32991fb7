"""Running independent trainings side by side, in separate processes.

A short training of a small Keras model is mostly TensorFlow *tracing* its training
step, which runs on one core. Two processes on a two-core laptop finish a list of
such trainings almost twice as fast. Every task seeds itself, so the results do not
depend on how many run at once, or where.

When the notebook runs as a job on a Dask cluster that was named with ``SCHEDULER=``
(:mod:`helpers.cluster` sets ``ANOMALY_KIT_SCHEDULER`` in its kernels), the trainings go
to that cluster's workers through joblib's Dask backend instead; each checks first that
its worker runs Keras on the same backend, at the same instruction-set level, as the
notebook (workers started with ``make worker`` do), so that a training's figures do not
depend on the machine it lands on, and runs in a process the worker keeps for trainings,
not in the worker's own (:mod:`helpers.training_process` says why). With a local cluster,
or none, they stay on joblib's local processes.
"""
from __future__ import annotations

import os
import pickle

SCHEDULER_ENV = "ANOMALY_KIT_SCHEDULER"


class WorkerMismatch(RuntimeError):
    """A cluster worker that would not give the notebook's figures."""


def starmap(func, calls: list[tuple], jobs: int = 1) -> list:
    """``func(*args)`` for every ``args`` in ``calls``, in order; with ``jobs`` > 1,
    that many at a time in separate processes (joblib, which comes with
    scikit-learn), or on the Dask cluster named in ``ANOMALY_KIT_SCHEDULER``.
    ``func`` must be importable: a module-level function of the kit."""
    scheduler = cluster_address()
    if scheduler and len(calls) > 1:
        return on_cluster(func, calls, scheduler)
    if jobs > 1 and len(calls) > 1:
        from joblib import Parallel, delayed  # noqa: PLC0415

        return Parallel(n_jobs=min(jobs, len(calls)))(delayed(in_worker)(func, *args)
                                                       for args in calls)
    return [func(*args) for args in calls]


# What a joblib worker may grow by before loky takes it for a leak: a kernel's own limit is
# the machine's memory (make grade's MEMORY= caps each process of a student's run).
WORKER_GROWTH = 2 * 2**30


def in_worker(func, *args):
    """``func(*args)`` in one of joblib's local worker processes. A training leaves its
    compiled steps in the process (on JAX, a few hundred MB for mnist's models), which
    loky would take for a memory leak (more than 300 MB over the process's size after
    its first task): it ends the worker, a warning appears in the notebook, and a new
    process imports Keras and compiles everything again. The limit is raised here, in
    the worker, where loky reads it after each task."""
    from joblib.externals.loky import process_executor  # noqa: PLC0415

    process_executor._MAX_MEMORY_LEAK_SIZE = max(process_executor._MAX_MEMORY_LEAK_SIZE,
                                                 WORKER_GROWTH)
    return func(*args)


def cluster_address() -> str | None:
    """The Dask scheduler this process's trainings go to, if any."""
    return os.environ.get(SCHEDULER_ENV, "").strip() or None


def settings() -> dict[str, str]:
    """What a process's figures depend on beyond the code: Keras's backend and the
    instruction-set variables (``helpers.cpu_level``)."""
    from . import cpu_level, reproducibility  # noqa: PLC0415

    keys = (cpu_level.SWITCH, "ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "NPY_DISABLE_CPU_FEATURES",
            "XLA_FLAGS")
    return {"KERAS_BACKEND": reproducibility.backend(),
            **{k: os.environ.get(k, "") for k in keys}}


def checked(expected: dict, func, *args):
    """``func(*args)`` on a cluster worker whose settings are ``expected``, in the
    worker's training process (:mod:`helpers.training_process`); its result, pickled."""
    mine = settings()
    if mine != expected:
        from distributed import get_worker  # noqa: PLC0415

        differ = {k: (mine.get(k), v) for k, v in expected.items() if mine.get(k) != v}
        raise WorkerMismatch(
            f"the Dask worker at {get_worker().address} would train with other settings than "
            f"the notebook (worker, notebook): {differ}; start the workers with "
            "`make worker SCHEDULER=...` (at the kit's instruction-set level, with the same "
            "BACKEND=) so that every machine gives the same figures")
    from . import training_process  # noqa: PLC0415

    return training_process.run(func, *args)


def on_cluster(func, calls: list[tuple], scheduler: str) -> list:
    """The calls on the Dask cluster at ``scheduler``, through joblib's Dask backend."""
    from distributed import Client  # noqa: PLC0415
    from joblib import Parallel, delayed, parallel_config  # noqa: PLC0415

    expected = settings()
    with Client(scheduler, timeout=20, set_as_default=False) as client, \
            parallel_config(backend="dask", client=client):
        done = Parallel()(delayed(checked)(expected, func, *args) for args in calls)
    return [pickle.loads(result) for result in done]  # noqa: S301  (the kit's own trainings)
