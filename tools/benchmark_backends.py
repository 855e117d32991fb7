"""Seconds per epoch of the kit's models on Keras's two backends (TensorFlow, JAX), side
by side with PyOD's AutoEncoder (PyTorch) on the same training rows and batch size.

    .venv/bin/python tools/benchmark_backends.py [--epochs 6] [--rounds 2]
                                                 [--pyod-python /path/to/python]

Arms, each in a fresh process and taking turns round by round (so that a machine's
drift hits each alike), with 2 threads each:

- ``tensorflow`` and ``jax``: the kit's ``kit_dense`` (synthetic), ``mnist_kit`` (mnist)
  and ``ts_lstm`` (yahoo windows), compiled as the kit compiles them, on each dataset's
  training rows and batch size; the first epoch (tracing and compiling) is left out.
- ``pyod``: PyOD's ``AutoEncoder`` with the same dense layers (kit_dense's 64-26 and
  mnist_kit's 512-128-16; on the yahoo windows, where PyOD has no LSTM, the dense
  64-32-16 of ``ts_dense``), no batch norm or dropout, no rescaling, the same batch
  size: (time for 1 + k epochs - time for 1 epoch) / k, after a warm-up fit. It needs a Python with PyOD and
  PyTorch, which the kit does not install, e.g.::

      python3.11 -m venv /tmp/pyod && /tmp/pyod/bin/pip install torch==2.13.0 pyod==3.6.7 \\
          tqdm pandas==3.1.1 numpy==2.4.6 scikit-learn==1.9.1

The kit's arms start through ``helpers.cpu_level`` (the kit's instruction-set level, as
``make`` runs). A benchmark, not a test: run it on the machine you care about and read
the figures with the CPU model it prints.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from helpers import cpu_level  # noqa: E402
from tools.epoch_timing import seconds_per_epoch  # noqa: E402

MODELS = (("kit_dense", "synthetic", (64, 26)), ("mnist_kit", "mnist", (512, 128, 16)),
          ("ts_lstm", "yahoo", (64, 32, 16)))
BACKENDS = ("tensorflow", "jax")


def _kit(epochs: int, data_dir: Path) -> None:
    """One backend's arm (KERAS_BACKEND is set): s/epoch of each model; writes each
    dataset's training rows for PyOD."""
    import numpy as np  # noqa: PLC0415

    from helpers import architectures, datasets, reproducibility, training  # noqa: PLC0415

    reproducibility.seed_everything(0, 2)
    out = {}
    for model_name, data, _ in MODELS:
        raw = datasets.load(data, seed=0)
        split = datasets.split(data, raw, seed=0)
        X = np.asarray(split.X_train, dtype="float32")
        np.save(data_dir / f"{data}.npy", X.reshape(len(X), -1))
        arch = architectures.get(model_name)
        model = architectures.build_autoencoder(arch, X.shape[1])
        training.compile_autoencoder(model, arch)
        batch = datasets.spec(data).batch_size
        seconds = seconds_per_epoch(model, X, epochs, batch)
        out[model_name] = {"s_per_epoch": seconds, "rows": len(X),
                           "batch": batch}
    print(json.dumps(out))


PYOD = """
import json, sys, time
import numpy as np, torch
from pyod.models.auto_encoder import AutoEncoder
torch.set_num_threads(2)
X = np.load(sys.argv[1]); hidden = json.loads(sys.argv[2]); batch = int(sys.argv[3]); k = int(sys.argv[4])
def fit(epochs):
    model = AutoEncoder(hidden_neuron_list=hidden, batch_norm=False, dropout_rate=0.0,
                        preprocessing=False, epoch_num=epochs, batch_size=batch, verbose=0,
                        random_state=0, optimizer_params={"weight_decay": 0.0})
    t = time.perf_counter(); model.fit(X); return time.perf_counter() - t
fit(1)  # warm-up: PyTorch's first run sets itself up
one = fit(1)
print(json.dumps((fit(1 + k) - one) / k))
"""


def _run(command: list[str], env=None) -> subprocess.CompletedProcess:
    """Run one arm; on failure, stop with its error output."""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"an arm failed ({' '.join(command[:3])} ...):\n{done.stderr[-3000:]}")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pyod-python", default=None, help="a Python with PyOD and PyTorch")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be 2 or more: the first epoch is left out")
    if args.child:
        _kit(args.epochs, Path(args.child))
        return
    arms = [*BACKENDS, *(["pyod"] if args.pyod_python else [])]
    results = {arm: {m: [] for m, _, _ in MODELS} for arm in arms}
    about = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for backend in BACKENDS:
                env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
                run = _run([sys.executable, "-m", "helpers.cpu_level", "--", sys.executable,
                            __file__, "--child", tmp, "--epochs", str(args.epochs)], env=env)
                for model, got in json.loads(run.stdout.strip().splitlines()[-1]).items():
                    results[backend][model].append(got["s_per_epoch"])
                    about[model] = got
            if args.pyod_python:
                for model, data, hidden in MODELS:
                    run = _run([args.pyod_python, "-c", PYOD, str(Path(tmp) / f"{data}.npy"),
                                json.dumps(list(hidden)), str(about[model]["batch"]),
                                str(args.epochs - 1)])
                    results["pyod"][model].append(json.loads(run.stdout.strip().splitlines()[-1]))
    print(f"CPU: {cpu_level.cpu_model()} ({platform.machine()}), {os.cpu_count()} cores; "
          f"{args.epochs} epochs (first left out), {args.rounds} rounds; median s/epoch")
    print(f"{'model':10} {'rows':>7} {'batch':>6}" + "".join(f"{a:>12}" for a in arms)
          + ("   pyod / jax" if "pyod" in arms else ""))
    for model, _, _ in MODELS:
        med = {a: statistics.median(results[a][model]) for a in arms}
        line = (f"{model:10} {about[model]['rows']:>7} {about[model]['batch']:>6}"
                + "".join(f"{med[a]:12.3f}" for a in arms))
        if "pyod" in arms:  # like for like only where PyOD has the same model
            line += f"{med['pyod'] / med['jax']:13.1f}x" if model != "ts_lstm" else "  (dense, n/a)"
        print(line)


if __name__ == "__main__":
    main()
