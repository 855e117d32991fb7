"""Interrupting ``make run-all``: every process it started ends, nothing is left behind."""
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import paths

# A notebook that starts a pool of two joblib (loky) worker processes, as notebooks 05
# and 08 do, hands them a large array (so that joblib memory-maps it), writes down who
# is who, and waits to be interrupted.
POOL = """\
import json, os, time
import numpy as np
import psutil
from ipykernel.connect import get_connection_file
from joblib import Parallel, delayed

big = np.ones(400_000)
pids = Parallel(n_jobs=2)(delayed(lambda a, i: (os.getpid(), time.sleep(1))[0])(big, i) for i in range(4))
conn = get_connection_file()
info = dict(kernel=os.getpid(), conn=conn, key=json.load(open(conn))["key"],
            workers=sorted(set(pids)),
            children=[p.pid for p in psutil.Process().children(recursive=True)])
open(MARKER + ".tmp", "w").write(json.dumps(info))
os.replace(MARKER + ".tmp", MARKER)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _connection_files_with(key: str) -> list[Path]:
    """Connection files that hold this kernel's key, wherever Jupyter puts them."""
    from jupyter_core.paths import jupyter_runtime_dir

    found = []
    for folder in {Path(tempfile.gettempdir()), Path(jupyter_runtime_dir())}:
        for f in folder.glob("*.json") if folder.is_dir() else []:
            try:
                if key in f.read_text():
                    found.append(f)
            except OSError:
                pass
    return found


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_run_ends_its_kernel_and_workers(tmp_path, sig, code):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    marker = tmp_path / "marker.json"
    params = new_code_cell("dataset = 'synthetic'\nquick = False\nrun_dir = None",
                           metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[params, new_code_cell(f"MARKER = {str(marker)!r}\n" + POOL)])
    nb.metadata["kernelspec"] = {"name": "anomaly-kit", "display_name": "kit", "language": "python"}
    nbformat.write(nb, nbs / "01_pool.ipynb")
    out = tmp_path / "out"
    paths.mark_run_dir(out)  # an earlier run's folder
    (out / "report").mkdir(parents=True)
    (out / "report" / "metrics.csv").write_text("an old run's table")
    runner = subprocess.Popen(
        [sys.executable, "-m", "helpers.runner", "--datasets", "synthetic", "--notebooks", str(nbs),
         "--out", str(out)], cwd=paths.project_root(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert runner.poll() is None, runner.communicate()
            assert time.monotonic() < deadline, "the notebook's workers did not start"
            time.sleep(0.2)
        info = json.loads(marker.read_text())
        started = [runner.pid, info["kernel"], *info["workers"], *info["children"]]
        assert len(info["workers"]) == 2 and all(_alive(p) for p in started)
        assert Path(info["conn"]).exists() and list(Path("/dev/shm").glob(f"sem.loky-{info['kernel']}-*"))

        runner.send_signal(sig)
        stdout, stderr = runner.communicate(timeout=30)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == code
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"Interrupted ({sig.name}) while running synthetic 01_pool.ipynb")
    assert "rerun the same make command" in lines[0]
    assert "Traceback" not in stdout

    deadline = time.monotonic() + 10
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in started if _alive(p)]
    assert not Path(info["conn"]).exists() and not Path(info["conn"]).parent.exists()
    assert not _connection_files_with(info["key"])
    shm = Path("/dev/shm")
    assert not list(shm.glob(f"sem.loky-{info['kernel']}-*"))
    assert not list(shm.glob(f"joblib_memmapping_folder_{info['kernel']}_*"))
    assert not (out / "report" / "metrics.csv").exists()
