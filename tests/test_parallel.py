"""Trainings side by side in joblib's local worker processes."""
import os
import time
import warnings

from helpers import parallel

_KEPT = []


def _keep(mb: int) -> int:
    """Grow the process by ``mb`` MB and keep it, as a training keeps its compiled steps."""
    _KEPT.append(b"\x01" * (mb * 2**20))
    time.sleep(1.2)  # loky looks at a worker's size at most once a second
    return os.getpid()


def test_a_worker_that_keeps_what_it_computed_is_not_ended_as_a_leak():
    # loky ends a worker that grew by more than 300 MB after its first task: without the
    # kit's limit, six tasks of 350 MB on two workers need at least three processes
    from joblib.externals.loky import get_reusable_executor

    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            pids = parallel.starmap(_keep, [(350,)] * 6, jobs=2)
    finally:  # the workers hold what they kept: end them, not after joblib's idle timeout
        get_reusable_executor().shutdown(wait=True)
    assert len(set(pids)) <= 2, f"a worker was replaced: {pids}"
    assert not [w for w in seen if "worker stopped" in str(w.message)]
