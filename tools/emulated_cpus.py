"""Which of the kit's computations depend on the CPU model? A check that needs no second
machine: the same probe runs on this CPU and under QEMU's user-mode emulation of other
x86-64 CPU models, each at the kit's instruction-set level (``helpers.cpu_level``, as
computed on that CPU model), and the table says which parts came out different.

    apt-get install qemu-user        # Debian 12: QEMU 7.2, the first that emulates AVX2
    .venv/bin/python tools/emulated_cpus.py [--cpus EPYC-Rome,Haswell] [--threads 2]

A QEMU CPU model reports its own instruction sets and its own cache sizes (``cpuid``),
as the real CPU would, and runs the kit's libraries unchanged, about 10 times slower.
For each matrix product the table also gives the ``sgemm`` calls that TensorFlow made for
it and their inner sizes (``ONEDNN_VERBOSE``): Eigen, which splits TensorFlow's matrix
products into blocks before it hands them to oneDNN, sizes the blocks from the caches the
CPU reports, and a product whose inner dimension is cut into blocks sums in another order.
The kit fixes those sizes (``helpers.eigen_blocks``) and keeps TensorFlow on Eigen's products
on every CPU (``TF_ENABLE_ONEDNN_OPTS=0``); the probe runs with both, as the kit's processes
do, so every product should come out the same, cut into the same blocks, on every CPU
model.

Two parts always differ under emulation and say nothing about real CPUs on their own:
``tf_rsqrt`` and ``tf_reciprocal`` use the CPU's approximate reciprocal instructions
(``rsqrtps``, ``rcpps``) and a Newton step, and QEMU computes those instructions exactly,
while each real CPU design has its own approximation. The kit's trainings must not reach
them (``tools/approximate_instructions.py`` checks that), so the trainings must come out the
same. A maintainer's tool, not a test: it needs QEMU, and minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import hashlib, json, sys
import numpy as np

def h(*arrays):
    return hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()[:12]

threads = int(sys.argv[1])
out = {}
x = np.random.default_rng(0).standard_normal((300, 257))
out["numpy_exp_f32"] = h(np.exp(x.astype("float32")))
out["numpy_matmul_f64"] = h(x @ x.T)
out["numpy_matmul_f32"] = h(x.astype("float32") @ x.T.astype("float32"))
out["numpy_sin"] = h(np.sin(x))
from helpers import reproducibility
reproducibility.seed_everything(0, threads=threads)
import tensorflow as tf
xf = tf.constant(np.abs(x).astype("float32") + 0.01)
for name in ["tanh", "sigmoid", "exp", "log", "sqrt", "softplus", "rsqrt", "reciprocal"]:
    out["tf_" + name] = h(getattr(tf.math, name)(xf).numpy())
for m, k, n in [(256, 64, 32), (256, 784, 512), (784, 256, 512), (128, 512, 128), (257, 300, 257)]:
    a = tf.constant(np.random.default_rng(m + k).standard_normal((m, k)).astype("float32"))
    b = tf.constant(np.random.default_rng(n + k).standard_normal((k, n)).astype("float32"))
    print(f"@@ tf_matmul_{m}x{k}x{n}", flush=True)  # oneDNN's lines that follow are its calls
    out[f"tf_matmul_{m}x{k}x{n}"] = h(tf.linalg.matmul(a, b).numpy())
print("@@ end", flush=True)
from helpers import datasets, detectors
for dataset, model in [("synthetic", "kit_dense"), ("mnist", "mnist_kit"), ("thyroid", "tab_memae"),
                       ("thyroid", "devnet")]:
    raw = datasets.load(dataset, seed=0, quick=True)
    split = datasets.split(dataset, raw, seed=0, quick=True)
    det = detectors.build(model, seed=0, threads=threads, epochs=2).fit(split)  # DevNet: its own 50
    out[f"{model}_trained"] = h(*det.model_.get_weights())
print("@@ result " + json.dumps(out), flush=True)
"""

KIT_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE",
                 "GLIBC_TUNABLES", "XLA_FLAGS", "ANOMALY_KIT_EXACT")


def run_probe(cpu: str, threads: int) -> tuple[dict, dict]:
    """The probe's hashes on ``cpu`` ("native", or a QEMU CPU model), and the number of
    sgemm calls per matrix product."""
    python = str(ROOT / ".venv" / "bin" / "python")
    prefix = [] if cpu == "native" else ["qemu-x86_64", "-cpu", cpu]
    # the level as the kit computes it on that CPU model: helpers.cpu_level would exec a new
    # process, which QEMU's user mode would run natively, so the variables are set here
    level = subprocess.run(
        [*prefix, python, "-c", "import json, os; from helpers import cpu_level; "
         "print(json.dumps(cpu_level.environment(dict(os.environ))))"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    computed = json.loads(level.stdout.strip().splitlines()[-1])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", ONEDNN_VERBOSE="1", KERAS_BACKEND="tensorflow",
               **{k: computed[k] for k in KIT_VARIABLES if k in computed})
    done = subprocess.run([*prefix, python, "-c", PROBE, str(threads)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the probe failed on {cpu}:\n{done.stderr[-3000:]}")
    calls: dict[str, list[int]] = {}
    part, result = None, None
    for line in done.stdout.splitlines():
        if line.startswith("@@ result "):
            result = json.loads(line[len("@@ result "):])
        elif line.startswith("@@ "):
            part = line[3:]
        elif part and part != "end" and ",primitive,exec," in line:
            shape = line.split(",")[-2]  # "MxK:KxN", the block this call computed
            calls.setdefault(part, []).append(int(shape.split(":")[0].split("x")[1]))
    if result is None:
        raise RuntimeError(f"the probe on {cpu} printed no result:\n{done.stdout[-3000:]}")
    return result, calls


def described(inner: list[int]) -> str:
    """A product's sgemm calls: how many, and the inner sizes of their blocks."""
    return f"{len(inner)} call{'s' if len(inner) > 1 else ''}, inner {'/'.join(map(str, sorted(set(inner))))}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpus", default="EPYC-Rome,Haswell",
                    help="QEMU CPU models (qemu-x86_64 -cpu help lists them)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    if shutil.which("qemu-x86_64") is None:
        print("error: needs qemu-x86_64 (Debian: apt-get install qemu-user)", file=sys.stderr)
        return 2
    cpus = ["native", *[c.strip() for c in args.cpus.split(",") if c.strip()]]
    results = {cpu: run_probe(cpu, args.threads) for cpu in cpus}
    base = results["native"][0]
    print(f"{'part':24s}" + "".join(f"{c:>36s}" for c in cpus))
    for part in base:
        cells = []
        for cpu in cpus:
            got, calls = results[cpu]
            text = "" if cpu == "native" else ("same" if got[part] == base[part] else "DIFFERENT")
            if part in calls:
                text += f" ({described(calls[part])})"
            cells.append(f"{text:>36s}")
        print(f"{part:24s}" + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
