"""On JAX, new variables' first values come from a few compiled programs (``helpers.jax_init``)
and are Keras's own values, to the last bit."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from helpers import paths

ROOT = paths.project_root()
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="needs JAX (requirements-jax.txt; make test installs it)")

# Run on JAX in a fresh process (the backend is chosen before Keras loads): every draw and
# fill against Keras's own function, whole models against models built with Keras's own,
# and the number of programs XLA compiled for a set of shapes, each way.
CHECK = """
import json
import numpy as np
from helpers import architectures, jax_init, reproducibility
reproducibility.seed_everything(0, threads=1)
keras = reproducibility.keras()
import jax
import jax.monitoring
from keras.src import initializers
from keras.src.backend.jax import random as keras_random

compiled = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **_: compiled.append(event)
    if event == "/jax/core/compile/backend_compile_duration" else None)
KINDS = ("uniform", "normal", "truncated_normal")
shapes = [(), (1,), (7,), (26,), (64, 26), (26, 64), (20, 30), (300, 257), (3, 3, 1, 16), (1024,),
          (1025,), (0,), (5, 0)]
differ = []
for shape in shapes:
    for kind in KINDS:
        ours, stock = getattr(keras_random, kind), getattr(keras_random, kind).stock
        args = (-0.3, 0.3) if kind == "uniform" else (0.5, 2.0)
        a = np.asarray(ours(shape, *args, seed=jax.random.PRNGKey(7)))
        b = np.asarray(stock(shape, *args, seed=jax.random.PRNGKey(7)))
        if not (a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)):
            differ.append(f"{kind} {shape}")
    for cls in (initializers.Zeros, initializers.Ones):
        for dtype in ("float32", "int32", "bfloat16"):
            a, b = cls()(shape, dtype), cls.__call__.stock(cls(), shape, dtype)
            if not (a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)):
                differ.append(f"{cls.__name__} {shape} {dtype}")

# inside a compiled step the draw is Keras's own (a traced key)
seed = keras.random.SeedGenerator(3)
in_jit = jax.jit(lambda s: keras_random.normal((4, 5), seed=s))(seed.state.value)
if not np.array_equal(np.asarray(in_jit), np.asarray(keras_random.normal.stock((4, 5), seed=seed.state.value))):
    differ.append("normal inside jit")

def programs(draw):
    before = len(compiled)
    # 2,700 to 3,150 numbers each: one size class, not used above
    for shape in [(50, 60), (60, 50), (45, 70), (70, 45), (55, 55), (64, 48)]:
        draw(shape, seed=jax.random.PRNGKey(1)).block_until_ready()
    return len(compiled) - before

fewer = [programs(getattr(keras_random, kind)) for kind in KINDS]


def weights(name, width):
    keras.utils.set_random_seed(5)
    return architectures.build_autoencoder(architectures.get(name), width).get_weights()

models = [("kit_dense", 40), ("ts_lstm", 30), ("mnist_conv", 784), ("tab_memae", 21), ("tab_vae", 21)]
ours = {m: weights(m, w) for m, w in models}

for kind in KINDS:
    setattr(keras_random, kind, getattr(keras_random, kind).stock)
for cls in (initializers.Zeros, initializers.Ones):
    cls.__call__ = cls.__call__.stock
more = [programs(getattr(keras_random, kind)) for kind in KINDS]
stock = {m: weights(m, w) for m, w in models}
for m, _ in models:
    if len(ours[m]) != len(stock[m]) or not all(np.array_equal(a, b) for a, b in zip(ours[m], stock[m])):
        differ.append(f"model {m}")
print(json.dumps({"differ": differ, "programs": [fewer, more]}))
"""


@pytest.fixture(scope="module")
def checked() -> dict:
    if importlib.util.find_spec("jax") is None:
        pytest.skip("needs JAX (requirements-jax.txt; make test installs it)")
    env = dict(os.environ, KERAS_BACKEND="jax", ANOMALY_KIT_JAX_CACHE="0")
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_jax
def test_every_draw_fill_and_model_has_keras_s_own_values(checked):
    assert checked["differ"] == []


@needs_jax
def test_draws_of_one_size_class_share_one_compiled_program(checked):
    """Six shapes of one size class: one program per kind of draw (uniform, normal,
    truncated normal), where Keras's own compiles one per shape (and, for the normal
    draws, scales and shifts them with compiled programs of their own)."""
    fewer, more = checked["programs"]
    assert fewer == [1, 1, 1], checked["programs"]
    assert all(n >= 6 for n in more), checked["programs"]


def test_size_classes():
    from helpers.jax_init import size_class

    assert [size_class(n) for n in (0, 1, 1024, 1025, 2048, 300 * 257)] == [1024, 1024, 1024, 2048,
                                                                            2048, 131072]
