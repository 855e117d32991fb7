"""Jobs on a Dask cluster: the same figures as on one machine, also when a worker dies.

The cluster is real: a scheduler and two workers started as separate processes on
127.0.0.1 (conftest's ``loopback_cluster``), as an instructor would start them on a
department's machines (`make worker SCHEDULER=...`).
"""
from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers import cluster, paths, transfer
from helpers.checks import ParameterError

DATASETS = "synthetic,yahoo"
# The dead-worker test: two datasets of one family, so that one model serves both (its
# figures are what it compares, not every model's)
SERIES, SERIES_MODEL = "yahoo,nab", "ts_kit"
TIMING = ["fit_seconds"]  # the only columns a machine's speed may change
# The notebooks a run needs for its figures (06 and 08 only show and tune; 07 writes the
# figures): the runs that compare figures run these, to spend less time starting kernels.
FIGURES_CHAIN = ("01_import", "02_load", "03_encoder", "04_decoder", "05_compile", "07_report")


def figures_chain(folder):
    """A folder with the kit's notebooks of ``FIGURES_CHAIN``."""
    folder.mkdir(parents=True)
    for name in FIGURES_CHAIN:
        shutil.copy(paths.project_root() / "notebooks" / f"{name}.ipynb", folder)
    return folder


def quick_run(out, datasets: str, *extra) -> subprocess.CompletedProcess:
    """``make run-all QUICK=1 DATASETS=...`` with the given options, into ``out``."""
    return subprocess.run(
        [sys.executable, "-m", "helpers.cpu_level", "--", sys.executable, "-m", "helpers.runner",
         "--quick", "1", "--datasets", datasets, "--out", str(out), *extra],
        cwd=paths.project_root(), capture_output=True, text=True)


def figures(out) -> pd.DataFrame:
    return pd.read_csv(out / "report" / "metrics.csv").drop(columns=TIMING)


def test_ctrl_c_stops_every_job_on_the_cluster_and_leaves_the_workers_idle(tmp_path, loopback_cluster):
    """Ctrl-C on a run whose jobs run on the cluster: one line, exit 130, the jobs' processes
    and kernels end on their workers, and the workers (still alive) have nothing left to do."""
    import signal
    import time

    from distributed import Client

    run = subprocess.Popen(
        [sys.executable, "-m", "helpers.runner", "--quick", "1", "--datasets", DATASETS,
         "--out", str(tmp_path / "out"), "--scheduler", loopback_cluster.address],
        cwd=paths.project_root(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        alive = [w for w in loopback_cluster.workers if w.poll() is None]
        while len(loopback_cluster.jobs()) < len(alive):
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.2)
        jobs = loopback_cluster.jobs()
        while not all(any("ipykernel" in " ".join(k.cmdline()) for k in job.children(recursive=True))
                      for job in jobs):  # each job runs a notebook
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.2)
        time.sleep(1)
        started = [p for job in jobs for p in [job, *job.children(recursive=True)]]
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stdout[-2000:] + stderr[-2000:]
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Interrupted (SIGINT) while running"), stdout + stderr
    assert "everything it started is stopped" in lines[0]
    deadline = time.monotonic() + 30
    while any(p.is_running() and p.status() != "zombie" for p in started) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not [p.cmdline() for p in started if p.is_running() and p.status() != "zombie"]
    with Client(loopback_cluster.address) as client:
        assert len(client.scheduler_info()["workers"]) == len(
            [w for w in loopback_cluster.workers if w.poll() is None])
        assert not any(client.processing().values()), "a worker is still busy with the run's jobs"
    assert not (tmp_path / "out" / "report" / "metrics.csv").exists()


@pytest.mark.second_stream
def test_a_run_on_a_cluster_survives_a_dead_worker_with_the_same_figures(tmp_path, loopback_cluster):
    """Two datasets run as jobs on the two workers; one worker is killed (and not
    replaced) while its job runs. The job runs again on the other worker, and its figures
    are those of a run on one machine, on a local cluster of two workers. Both runs run the
    notebooks that make the figures (``FIGURES_CHAIN``); the run on one machine runs only
    the dataset whose worker was killed."""
    chain = str(figures_chain(tmp_path / "notebooks"))
    run = subprocess.Popen(
        [sys.executable, "-m", "helpers.cpu_level", "--", sys.executable, "-m", "helpers.runner",
         "--quick", "1", "--datasets", SERIES, "--models", SERIES_MODEL, "--out",
         str(tmp_path / "there"), "--scheduler", loopback_cluster.address, "--notebooks", chain],
        cwd=paths.project_root(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in run.stdout:  # once a notebook has run on each worker, kill one of them
            lines.append(line)
            if sum("01_import.ipynb" in seen for seen in lines) == 2:
                break
        workers = {loopback_cluster.worker_of(job) for job in loopback_cluster.jobs()}
        assert len(workers) == 2, "each worker got a job of its own"
        loopback_cluster.kill_worker_running_a_job()
        rest, stderr = run.communicate(timeout=900)
        stdout = "".join(lines) + rest
    finally:
        if run.poll() is None:
            run.kill()
    print(stdout)  # with its timings (pytest -s shows them)
    assert run.returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert f"the Dask cluster at {loopback_cluster.address}" in stdout
    lost = [line.split()[0] for line in stdout.splitlines()
            if "its worker was lost; the job runs again on another worker" in line]
    assert len(lost) == 1 and lost[0] in SERIES.split(","), stdout
    assert "jobs: 2 done, 0 running, 0 waiting" in stdout
    for ds in SERIES.split(","):  # every executed notebook came home (to runs/<dataset>-<settings>/)
        assert len(list((tmp_path / "there" / "runs").glob(f"{ds}-*/0*.ipynb"))) == len(FIGURES_CHAIN)
    assert loopback_cluster.processes(), "the other worker and the scheduler still run"
    dead = [p for p in loopback_cluster.started if p.is_running() and p.status() != "zombie"]
    assert not dead, f"the killed worker's job or kernels ran on: {[p.cmdline() for p in dead]}"

    here = quick_run(tmp_path / "here", lost[0], "--models", SERIES_MODEL, "--jobs", "2",
                     "--notebooks", chain)
    assert here.returncode == 0, here.stdout[-3000:] + here.stderr[-3000:]
    assert "a local Dask cluster of 2 worker processes" in here.stdout
    assert "Traceback" not in here.stdout + here.stderr, "the cluster's shutdown printed an error"
    there = figures(tmp_path / "there")
    # the same values; a column's type may differ (one dataset's column of counts reads as
    # integers, and as floats beside another dataset's empty cells)
    pd.testing.assert_frame_equal(there[there["dataset"] == lost[0]].reset_index(drop=True),
                                  figures(tmp_path / "here"), check_dtype=False, check_exact=True)


def test_a_scheduler_that_is_not_an_address_is_refused():
    for bad in ("localhost", "tcp://", "://x"):
        with pytest.raises(ParameterError, match="tcp://host:8786"):
            cluster.check_scheduler(bad)
    assert cluster.check_scheduler("  ") is None
    assert cluster.check_scheduler(" tcp://10.0.0.1:8786 ") == "tcp://10.0.0.1:8786"


def test_a_scheduler_nobody_runs_fails_early_with_what_to_do(tmp_path, capsys):
    from helpers import runner

    code = runner.main(["--quick", "1", "--datasets", "synthetic", "--out", str(tmp_path / "o"),
                        "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and "no Dask scheduler answered there" in err and "tcp://127.0.0.1:9" in err


def test_a_packed_folder_comes_back_whole_and_cannot_escape(tmp_path):
    src = tmp_path / "src"
    (src / "state").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "state" / "b.bin").write_bytes(b"\0\1")
    data = transfer.pack(src)
    target = tmp_path / "home" / "run"
    target.mkdir(parents=True)
    (target / "stale.txt").write_text("an older run's file")
    assert transfer.unpack(data, target) == 2
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == \
        ["a.txt", "state/b.bin"]
    import io
    import zipfile

    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        transfer.unpack(evil.getvalue(), tmp_path / "x")
    assert not (tmp_path / "outside.txt").exists()


def test_trainings_go_to_the_named_cluster_and_refuse_a_worker_with_other_settings(
        loopback_cluster, monkeypatch):
    from helpers import parallel

    calls = [(2.0, float(i)) for i in range(4)]
    local = parallel.starmap(pow, calls)
    monkeypatch.setenv(parallel.SCHEDULER_ENV, loopback_cluster.address)
    assert parallel.starmap(pow, calls) == local == [1.0, 2.0, 4.0, 8.0]
    from distributed import Client

    with Client(loopback_cluster.address) as client:
        other = {**parallel.settings(), "KERAS_BACKEND": "jax"}
        future = client.submit(parallel.checked, other, pow, 2.0, 3.0)
        with pytest.raises(parallel.WorkerMismatch, match="make worker SCHEDULER="):
            future.result()


def test_a_training_on_a_worker_does_not_share_pythons_random_stream_with_the_worker(
        loopback_cluster, monkeypatch, tmp_path):
    """A worker's event loop draws from Python's global random stream at any moment, and
    Keras seeds a dropout layer from that stream: trainings on the cluster run in a process
    of their own and give a local training's figures, however busy the worker is."""
    import time

    import numpy as np
    from distributed import Client

    from helpers import architectures, detectors, parallel, reproducibility
    from helpers.datasets import Split

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 32)).astype("float32")
    split = Split(X[:200], X[200:], np.zeros(100, int), X[:5], np.zeros(5, int), 0.1)

    def untrained(name):
        reproducibility.seed_everything(0)
        return detectors.build(name, model=architectures.build_autoencoder(
            architectures.get(name), 32), seed=0, epochs=3, batch_size=32)

    names = ["ts_leaky_dropout", "tab_vae"]
    local = detectors.fit_all({f"{n}{i}": untrained(n) for i, n in enumerate(names)}, split)

    stop = tmp_path / "stop"

    def draw_from_random(stop, seconds):  # as a worker's event loop does, only more often
        import os
        import random
        import time

        from distributed import secede

        secede()  # (a cancelled task's thread runs on: it ends when ``stop`` exists)
        end, draws = time.monotonic() + seconds, 0
        while time.monotonic() < end and not os.path.exists(stop):
            for _ in range(100):
                random.random()
            draws += 100
            time.sleep(0.001)  # a draw every 10 microseconds or so, without taking a core
        return draws

    with Client(loopback_cluster.address) as client:
        busy = [client.submit(draw_from_random, str(stop), 120, workers=[w], pure=False)
                for w in client.scheduler_info()["workers"]]
        time.sleep(2)
        monkeypatch.setenv(parallel.SCHEDULER_ENV, loopback_cluster.address)
        try:
            there = detectors.fit_all({f"{n}{i}": untrained(n) for i, n in enumerate(names)}, split)
        finally:
            stop.touch()
        drawn = client.gather(busy)
    assert all(n > 1000 for n in drawn), drawn  # both workers drew all through the trainings
    for name in local:
        assert there[name].history_ == local[name].history_
        np.testing.assert_array_equal(there[name].score_samples(split, "val"),
                                      local[name].score_samples(split, "val"))


def test_only_jobs_on_a_cluster_elsewhere_wait_on_the_cancel_event():
    """A local cluster's jobs are stopped with SIGTERM and get no Dask event: waiting on one
    gave each worker a Dask client whose last messages could still be in flight when the
    run ended the worker, and asyncio then wrote an unretrieved TimeoutError on the run's
    stderr beside its one line about Ctrl-C."""
    local, remote = cluster.Cluster(None, 1), cluster.Cluster("tcp://10.0.0.1:8786")
    local.local = object()  # as __enter__ sets it for a LocalCluster
    assert local.cancel_event() is None
    assert remote.cancel_event() == remote.cancel_name
