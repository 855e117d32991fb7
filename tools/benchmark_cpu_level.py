"""Seconds per epoch of three of the kit's models with the numeric libraries capped at
an instruction-set level (``helpers.cpu_level``) and with the CPU's own code.

    .venv/bin/python tools/benchmark_cpu_level.py [--epochs 4] [--rounds 2]

Each measurement runs in a fresh process (the libraries read the level when they load),
the settings take turns round by round so that a machine's drift hits each alike, and
the first epoch (tracing the training step) is left out. A benchmark, not a test: run
it on the machine you care about and read the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from helpers import cpu_level  # noqa: E402
from tools.epoch_timing import seconds_per_epoch  # noqa: E402

MODELS = (("kit_dense", "synthetic"), ("mnist_kit", "mnist"), ("ts_lstm", "yahoo"))
SETTINGS = ("own", "AVX2", "AVX")


def _child(epochs: int) -> None:
    from helpers import architectures, datasets, training  # noqa: PLC0415
    from helpers.reproducibility import seed_everything  # noqa: PLC0415

    seed_everything(0, 2)
    out = {}
    for model_name, data in MODELS:
        raw = datasets.load(data, seed=0)
        split = datasets.split(data, raw, seed=0)
        arch = architectures.get(model_name)
        model = architectures.build_autoencoder(arch, split.X_train.shape[1])
        training.compile_autoencoder(model, arch)
        out[model_name] = seconds_per_epoch(model, split.X_train, epochs,
                                            datasets.spec(data).batch_size)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be 2 or more: the first epoch is left out")
    if args.child:
        _child(args.epochs)
        return
    base = {k: v for k, v in os.environ.items() if k not in cpu_level.VARIABLES}
    results = {s: {m: [] for m, _ in MODELS} for s in SETTINGS}
    for _ in range(args.rounds):
        for setting in SETTINGS:
            env = dict(base, **({} if setting == "own" else cpu_level.settings(setting, base)))
            run = subprocess.run([sys.executable, __file__, "--child", "--epochs", str(args.epochs)],
                                 env=env, capture_output=True, text=True, check=True)
            for model, seconds in json.loads(run.stdout.strip().splitlines()[-1]).items():
                results[setting][model].append(seconds)
    print(f"CPU: {cpu_level.cpu_model()} ({platform.machine()}), {os.cpu_count()} cores; "
          f"{args.epochs} epochs (first left out), {args.rounds} rounds; median s/epoch")
    print(f"{'model':12}" + "".join(f"{s:>10}" for s in SETTINGS))
    for model, _ in MODELS:
        print(f"{model:12}" + "".join(f"{statistics.median(results[s][model]):10.3f}" for s in SETTINGS))


if __name__ == "__main__":
    main()
