"""Keras's two backends: TensorFlow (the default) and JAX (``BACKEND=jax``). The same
seed gives the same model on a backend; JAX runs without loading TensorFlow; a run on
JAX passes the backend to its kernels and keeps its own folder."""
import importlib.util
import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import paths, reproducibility, runner

ROOT = paths.project_root()
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="needs JAX (requirements-jax.txt; make test installs it)")

# Trains the kit's dense autoencoder twice with the same seed, on one thread, and says
# what it saw. Run in a fresh process: the backend is chosen before Keras loads.
TRAIN_TWICE = """
import hashlib, json, os, sys
import numpy as np
from helpers import architectures, reproducibility, training

X = np.random.default_rng(0).normal(size=(512, 32)).astype("float32")

def train():
    reproducibility.seed_everything(3, threads=1)
    arch = architectures.get("kit_dense")
    model = architectures.build_autoencoder(arch, 32)
    training.compile_autoencoder(model, arch)
    fit = training.fit_autoencoder(model, X, X[:128], epochs=3, batch_size=64)
    return [w.tolist() for w in model.get_weights()], fit.history["loss"]

hits = []  # JAX's persistent compilation cache, read back
if reproducibility.backend() == "jax":
    import jax.monitoring
    jax.monitoring.register_event_listener(
        lambda event, **_: hits.append(event) if event == "/jax/compilation_cache/cache_hits" else None)

(w1, loss1), (w2, loss2) = train(), train()
print(json.dumps({"backend": reproducibility.keras().backend.backend(), "same": w1 == w2,
                  "weights": hashlib.sha256(json.dumps(w1).encode()).hexdigest(), "cache_hits": len(hits),
                  "loss": loss1, "tensorflow_loaded": "tensorflow" in sys.modules,
                  "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0,
                  "xla_flags": os.environ.get("XLA_FLAGS", ""),
                  "versions": reproducibility.versions()}))
"""


def _train_twice(backend: str, **env_vars) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", **env_vars)
    done = subprocess.run([sys.executable, "-m", "helpers.cpu_level", "--", sys.executable, "-c",
                           TRAIN_TWICE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def on_jax() -> dict:
    """What a training on JAX saw, with the kit's settings (one process for the tests below)."""
    return _train_twice("jax")


@needs_jax
def test_jax_trains_the_same_model_twice_without_tensorflow(on_jax):
    got = on_jax
    assert got["backend"] == "jax"
    assert got["same"]  # the same seed, the same weights, to the last bit
    assert not got["tensorflow_loaded"]  # 4 s and a second thread pool saved per process
    assert got["loss"][-1] < got["loss"][0]
    assert got["versions"]["jax"] != "not installed"
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) > 1:
        assert got["cpus"] == 1  # threads=1 holds XLA's thread pool to one CPU


@needs_jax
@pytest.mark.second_stream
def test_tensorflow_loads_without_jax_and_jax_stays_importable():
    """TensorFlow's TFLite module imports JAX when it is installed; the kit's TensorFlow
    kernels skip that (0.7 CPU-s each), and JAX can still be imported after."""
    code = ("import sys\nfrom helpers import reproducibility\nreproducibility.keras()\n"
            "print('jax' in sys.modules)\nimport jax\nprint(jax.numpy.ones(2).sum())")
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["False", "2.0"]


@needs_jax
def test_jax_reads_compiled_steps_back_from_the_build_folder_with_the_same_weights(tmp_path):
    cache = tmp_path / "jax-cache"
    off = _train_twice("jax", ANOMALY_KIT_BUILD=str(tmp_path), ANOMALY_KIT_JAX_CACHE="0")
    assert not cache.exists() and off["cache_hits"] == 0
    first = _train_twice("jax", ANOMALY_KIT_BUILD=str(tmp_path))  # compiles, and keeps
    (folder,) = cache.iterdir()  # one per CPU: XLA compiles for the CPU it runs on
    assert folder.name.startswith("cpu-")
    kept = sorted(p.name for p in folder.iterdir())
    assert kept and not [name for name in kept if name.endswith(".part")]
    again = _train_twice("jax", ANOMALY_KIT_BUILD=str(tmp_path))  # reads them back
    assert sorted(p.name for p in folder.iterdir()) == kept  # nothing new to keep
    assert again["cache_hits"] > first["cache_hits"]  # what the first process compiled, read
    assert off["weights"] == first["weights"] == again["weights"]


@needs_jax
def test_jax_compiles_without_llvms_expensive_passes_and_the_weights_stay_the_same(on_jax):
    quick = on_jax
    full = _train_twice("jax", XLA_FLAGS="--xla_llvm_disable_expensive_passes=false")  # kept as given
    assert "--xla_llvm_disable_expensive_passes=true" in quick["xla_flags"].split()
    assert "--xla_llvm_disable_expensive_passes=false" in full["xla_flags"].split()
    assert "--xla_llvm_disable_expensive_passes=true" not in full["xla_flags"].split()
    assert quick["same"] and full["same"]
    assert quick["weights"] == full["weights"]  # to the last bit


@needs_jax
def test_a_cache_entry_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """A process stopped while it writes an entry leaves none behind, not a truncated one
    that JAX would fail to read, and compile again, in every later kernel."""
    import pathlib

    from jax._src import lru_cache

    reproducibility._write_cache_entries_whole()
    cache = lru_cache.LRUCache(str(tmp_path), max_size=-1)
    cache.put("done", b"x" * 1000)
    assert cache.get("done") == b"x" * 1000
    real = pathlib.Path.write_bytes

    def stopped_halfway(self, data):
        real(self, data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(pathlib.Path, "write_bytes", stopped_halfway)
    with pytest.raises(KeyboardInterrupt):
        cache.put("stopped", b"y" * 1000)
    monkeypatch.undo()
    assert cache.get("stopped") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done-cache"]


def test_an_unknown_backend_is_named_with_the_valid_ones(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    with pytest.raises(ValueError, match="KERAS_BACKEND='torch'.*valid: tensorflow, jax"):
        reproducibility.backend()


def test_without_jax_the_run_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")  # restored after the run sets its own
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a))
    assert runner.main(["--backend", "jax", "--datasets", "synthetic"]) == 2
    err = capsys.readouterr().err
    assert "BACKEND=jax needs jax" in err and "make run-all BACKEND=jax" in err


RECORD_BACKEND = """import json, sys
import pandas as pd
from helpers import paths, reproducibility, summary
keras = reproducibility.keras()
run = paths.project_root() / run_dir
(run / "backend.json").write_text(json.dumps({"keras": keras.backend.backend(),
                                              "tensorflow_loaded": "tensorflow" in sys.modules}))
row = dict.fromkeys(summary.COLUMNS)
row.update(dataset=dataset, model="toy", threshold_method="best_f1", chosen=True, roc_auc=0.5,
           backend=reproducibility.backend())
summary.write(pd.DataFrame([row]), run / "metrics.csv")"""


@needs_jax
def test_a_run_on_jax_hands_the_backend_to_its_kernels(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")  # restored after the run sets jax
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = new_notebook(cells=[new_code_cell('dataset = "synthetic"\nquick = False\nrun_dir = None',
                                           metadata={"tags": ["parameters"]}),
                             new_code_cell(RECORD_BACKEND)])
    nb.metadata["kernelspec"] = {"name": "anomaly-kit", "display_name": "kit", "language": "python"}
    nbformat.write(nb, nbs / "01_backend.ipynb")
    out = tmp_path / "out"
    code = runner.main(["--datasets", "synthetic", "--notebooks", str(nbs), "--out", str(out),
                        "--quick", "--backend", "jax"])
    printed = capfd.readouterr()
    assert code == 0, printed.err
    assert "on Keras with jax" in printed.out
    folder = out / "runs" / runner.run_name("synthetic", True, {}, backend="jax")
    assert folder.name != "synthetic"  # the TensorFlow run's folder is left alone
    assert json.loads((folder / "backend.json").read_text()) == {"keras": "jax",
                                                                 "tensorflow_loaded": False}
    assert (out / "report" / "metrics.csv").read_text().splitlines()[1].count(",jax,") == 1


HELD = """
import json, os
from helpers import reproducibility
before = sorted(os.sched_getaffinity(0))
reproducibility.seed_everything(0, threads=int(os.environ["THREADS"]))
print(json.dumps([before, sorted(os.sched_getaffinity(0))]))
"""


@needs_jax
@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs CPU affinity (Linux)")
@pytest.mark.parametrize("threads", [1, 64])
def test_jax_is_held_to_threads_cpus_and_never_to_more_than_it_has(threads):
    env = dict(os.environ, KERAS_BACKEND="jax", THREADS=str(threads))
    done = subprocess.run([sys.executable, "-c", HELD], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(after) <= set(before)
    assert len(after) == min(threads, len(before))
