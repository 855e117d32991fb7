"""Running independent trainings side by side, in separate processes.

A short training of a small Keras model is mostly TensorFlow *tracing* its training
step, which runs on one core. Two processes on a two-core laptop finish a list of
such trainings almost twice as fast. Every task seeds itself, so the results do not
depend on how many run at once.
"""
from __future__ import annotations


def starmap(func, calls: list[tuple], jobs: int = 1) -> list:
    """``func(*args)`` for every ``args`` in ``calls``, in order; with ``jobs`` > 1,
    that many at a time in separate processes (joblib, which comes with
    scikit-learn). ``func`` must be importable: a module-level function of the kit."""
    if jobs > 1 and len(calls) > 1:
        from joblib import Parallel, delayed  # noqa: PLC0415

        return Parallel(n_jobs=min(jobs, len(calls)))(delayed(func)(*args) for args in calls)
    return [func(*args) for args in calls]
