"""TensorFlow's matrix products are cut into blocks of fixed sizes (helpers/eigen_blocks.py),
whatever caches the CPU reports: the kit's processes pin them, the pin outlasts the
products (Eigen never asks the CPU), and the sizes decide the bits (so the pin matters)."""
import json
import os
import subprocess
import sys

import pytest

from helpers import cpu_level, eigen_blocks, paths

PROBE = r"""
import hashlib, json, sys
import numpy as np
from helpers import eigen_blocks, reproducibility
reproducibility.seed_everything(0, threads=2)
import tensorflow as tf

def products():
    out = []
    for m, k, n in [(256, 784, 512), (784, 256, 512), (128, 512, 128), (512, 2000, 256)]:
        a = tf.constant(np.random.default_rng(m + k).standard_normal((m, k)).astype("float32"))
        b = tf.constant(np.random.default_rng(n + k).standard_normal((k, n)).astype("float32"))
        out.append(hashlib.sha256(tf.linalg.matmul(a, b).numpy().tobytes()).hexdigest()[:16])
    return out

report = {"status": eigen_blocks.status, "cpu": eigen_blocks.cpu_sizes()}
report["kit"] = products()
report["in_force"] = [eigen_blocks.in_force(lib) for lib in eigen_blocks.LIBRARIES]
eigen_blocks.pin((16 * 1024, 256 * 1024, 4 * 1024 * 1024))
report["small"] = products()
eigen_blocks.pin()
report["kit_again"] = products()
print(json.dumps(report))
"""


def probe(exact: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in (*cpu_level.VARIABLES, cpu_level.SWITCH, "ANOMALY_KIT_REPLACED", "KERAS_BACKEND")}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow", **{cpu_level.SWITCH: exact})
    done = subprocess.run([sys.executable, "-m", "helpers.cpu_level", "--", sys.executable, "-c", PROBE],
                          env=env, cwd=paths.project_root(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_kit_process_cuts_products_by_the_fixed_sizes_not_the_cpus():
    if not sys.platform.startswith("linux") or not cpu_level.has("AVX2"):
        pytest.skip("the sizes are pinned at the kit's level, on Linux x86-64")
    got = probe("1")
    assert got["status"] == "pinned"
    # after the products the sizes are still the kit's: Eigen never read the CPU's own
    # (on this machine: got["cpu"])
    assert got["in_force"] == [list(eigen_blocks.SIZES)] * len(eigen_blocks.LIBRARIES)
    assert got["small"] != got["kit"]  # the sizes decide the bits: the test can fail
    assert got["kit_again"] == got["kit"]


def test_with_exact_off_the_cpus_own_sizes_stay():
    if not sys.platform.startswith("linux") or not cpu_level.has("AVX2"):
        pytest.skip("the sizes are pinned at the kit's level, on Linux x86-64")
    got = probe("0")
    assert got["status"] is None
    # Eigen's own sizes (None if no product asked yet): the kit's only where the CPU has them
    assert got["in_force"][0] != list(eigen_blocks.SIZES) or got["cpu"] == list(eigen_blocks.SIZES)


def test_pin_refuses_bad_sizes_and_says_why_it_did_nothing():
    with pytest.raises(ValueError, match="three positive byte counts"):
        eigen_blocks.pin((32768, 0, 1))
    done = subprocess.run([sys.executable, "-c", "from helpers import eigen_blocks; print(eigen_blocks.pin())"],
                          cwd=paths.project_root(), capture_output=True, text=True, timeout=60)
    expected = ("not pinned: TensorFlow is not loaded in this process" if sys.platform.startswith("linux")
                else f"not pinned: {sys.platform} (the kit pins them on Linux only)")
    assert done.stdout.strip() == expected, done.stderr[-2000:]
    assert eigen_blocks.describe() == "32 KiB, 512 KiB and 16 MiB"
