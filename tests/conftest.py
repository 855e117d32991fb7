import os

from helpers import cpu_level

# `make test` starts pytest at the kit's instruction-set level (helpers/cpu_level.py); a
# pytest started otherwise gets what can still be set in its process, before NumPy loads.
os.environ.update(cpu_level.environment())
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    from helpers.params import configure

    monkeypatch.setenv("ANOMALY_KIT_BUILD", str(tmp_path / "build"))  # run folders live under build/
    return configure(dataset="synthetic", seed=1, epochs=3, run_dir=str(tmp_path / "build" / "run"))


@pytest.fixture
def toy_scores():
    """Normal scores around 1, anomalies around 3, on validation and test."""
    rng = np.random.default_rng(0)
    train = rng.normal(1, 0.2, 2000)
    y_val = np.r_[np.zeros(1000, int), np.ones(50, int)]
    val = np.r_[rng.normal(1, 0.2, 1000), rng.normal(3, 0.5, 50)]
    return train, val, y_val


def write_nab(root, n: int = 1200, events=((600, 660), (1000, 1060)), file: str | None = None,
              freq: str = "h", start: str = "2014-01-01"):
    """A small series in NAB's layout under ``root/nab``: values with a daily cycle,
    sampled every ``freq``, and labelled windows whose values run hot; its windows are
    added to the label file there (``file``: the default series' name unless given).
    Returns the CSV and label paths."""
    import json

    import pandas as pd

    from helpers.datasets import nab

    file = file or nab.DEFAULT_FILE
    t = pd.date_range(start, periods=n, freq=freq)
    rng = np.random.default_rng(0)
    per_day = pd.Timedelta("1D") / pd.Timedelta(t[1] - t[0])
    v = 70 + 3 * np.sin(np.arange(n) / per_day * 2 * np.pi) + rng.normal(0, 0.3, n)
    for a, b in events:
        v[a:b] += 6
    csv = root / "nab" / "data" / file
    csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "value": v.round(3)}).to_csv(csv, index=False)
    labels = root / "nab" / nab.LABELS
    labels.parent.mkdir(parents=True, exist_ok=True)
    windows = [[t[a].strftime("%Y-%m-%d %H:%M:%S.%f"), t[b - 1].strftime("%Y-%m-%d %H:%M:%S.%f")]
               for a, b in events]
    doc = json.loads(labels.read_text()) if labels.exists() else {}
    labels.write_text(json.dumps({**doc, file: windows}, indent=4))
    return csv, labels


class LoopbackCluster:
    """A Dask scheduler and two workers on 127.0.0.1, each a process (group) of its own,
    started as `make worker` starts them (at the kit's instruction-set level)."""

    def __init__(self, folder):
        import json
        import subprocess
        import sys
        import time

        from helpers import paths

        self.folder = folder
        self.procs = []
        self.started = set()  # what the workers started (jobs, kernels), once seen
        level = [sys.executable, "-m", "helpers.cpu_level", "--"]
        dask = str(__import__("pathlib").Path(sys.executable).with_name("dask"))
        info = folder / "scheduler.json"
        self.procs.append(subprocess.Popen(
            level + [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(info)],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=open(folder / "scheduler.log", "w"),
            start_new_session=True))
        deadline = time.monotonic() + 60
        while not info.exists():
            assert time.monotonic() < deadline, (folder / "scheduler.log").read_text()
            time.sleep(0.2)
        time.sleep(0.2)
        self.address = json.loads(info.read_text())["address"]
        self.workers = [self.start_worker(i) for i in range(2)]
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        self.root = paths.project_root()

    def start_worker(self, i: int):
        import subprocess
        import sys
        from pathlib import Path

        dask = str(Path(sys.executable).with_name("dask"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "helpers.cpu_level", "--", dask, "worker", self.address,
             "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
            cwd=self.folder, stdout=subprocess.DEVNULL,
            stderr=open(self.folder / f"worker{i}.log", "w"), start_new_session=True)
        self.procs.append(proc)
        return proc

    def processes(self) -> list:
        """Every process still alive in the scheduler's and workers' process groups."""
        import os

        import psutil

        groups = {p.pid for p in self.procs}
        alive = []
        for p in psutil.process_iter():
            try:
                if os.getpgid(p.pid) in groups and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except (psutil.Error, OSError):
                pass
        return alive

    def jobs(self) -> list:
        """The job processes the workers run now."""
        import psutil

        found = []
        for proc in self.workers:
            try:
                found += [k for k in psutil.Process(proc.pid).children(recursive=True)
                          if "--job" in k.cmdline()]
            except psutil.Error:
                pass
        return found

    def worker_of(self, job) -> int:
        """The pid of the ``dask worker`` command whose process tree holds ``job``."""
        import psutil

        for proc in self.workers:
            try:
                if job.pid in {k.pid for k in psutil.Process(proc.pid).children(recursive=True)}:
                    return proc.pid
            except psutil.Error:
                pass
        return -1

    def kill_worker_running_a_job(self, timeout: float = 120) -> int:
        """SIGKILL the process group of a worker while one of its jobs runs; its pid."""
        import os
        import signal
        import time

        import psutil

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.workers:
                try:
                    kids = psutil.Process(proc.pid).children(recursive=True)
                    if any("--job" in k.cmdline() for k in kids):
                        self.started.update(kids)  # the job and its kernels must end too
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
                        return proc.pid
                except psutil.Error:
                    pass
            time.sleep(0.5)
        raise AssertionError("no worker ran a job")

    def stop(self) -> None:
        import os
        import signal

        import psutil

        for proc in self.procs:
            try:
                self.started.update(psutil.Process(proc.pid).children(recursive=True))
            except psutil.Error:
                pass
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
        psutil.wait_procs(self.processes() + list(self.started), timeout=10)

    def left_over(self) -> list:
        """Processes of the cluster, or that its workers started, still alive."""
        import psutil

        def alive(p) -> bool:
            try:
                return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                return False

        return self.processes() + [p for p in self.started if alive(p)]


@pytest.fixture(scope="session")
def loopback_cluster(tmp_path_factory):
    """A two-worker Dask cluster on loopback for the session; the test fails if one of its
    processes outlives it."""
    cluster = LoopbackCluster(tmp_path_factory.mktemp("dask"))
    try:
        yield cluster
    finally:
        cluster.stop()
    left = cluster.left_over()
    assert not left, f"Dask processes outlived the cluster: {[p.cmdline() for p in left]}"
