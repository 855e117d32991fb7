"""The kit's transposed convolution (helpers/conv_layers.py): on TensorFlow exactly
Keras's own layer; on JAX the same function (and gradients) from a matrix product; saved
and loaded models on both backends."""
import importlib.util
import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from helpers import architectures, paths, reproducibility

ROOT = paths.project_root()
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="needs JAX (requirements-jax.txt; make test installs it)")

# Run on JAX, in a fresh process (the backend is chosen before Keras loads): each layer
# against the stock layer with the same weights, on the shapes mnist_conv uses and odd
# ones; then an mnist_conv model saved, loaded and pickled. Prints one JSON line.
ON_JAX = r"""
import json, pickle, sys
import numpy as np
from helpers import architectures, conv_layers, reproducibility

keras = reproducibility.keras()
reproducibility.seed_everything(0, threads=2)
import jax, jax.numpy as jnp

CASES = [  # (name, constructor arguments, input shape)
    ("deconv_1", dict(filters=16, kernel_size=3, strides=2, activation="relu"), (7, 7, 16)),
    ("deconv_2", dict(filters=32, kernel_size=3, strides=2, activation="relu"), (14, 14, 16)),
    ("odd_s2", dict(filters=4, kernel_size=3, strides=2), (5, 5, 3)),
    ("odd_s1", dict(filters=4, kernel_size=3, strides=1), (5, 5, 3)),
    ("wide_kernel_s2", dict(filters=3, kernel_size=5, strides=2), (4, 3, 2)),
]
rng = np.random.default_rng(0)


def relative(a, b):
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def loss_and_grads(layer, x):
    def loss(x, kernel, bias):
        out, _ = layer.stateless_call([kernel, bias], [], x)
        return jnp.sum(out * jnp.cos(out))  # a loss whose gradient varies from pixel to pixel
    kernel, bias = (v.value for v in layer.trainable_variables)
    return jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))(x, kernel, bias)


default_model = architectures.build_autoencoder(architectures.get("mnist_conv"), 784)
X = np.random.default_rng(1).random((16, 784), dtype=np.float32)
decoder = str(jax.make_jaxpr(lambda x: default_model.get_layer("mnist_conv_decoder")
                             .get_layer("deconv_2")(x))(jnp.zeros((2, 14, 14, 16))))
errors, convolutions = {}, {}
for name, kwargs, shape in CASES:
    kit = conv_layers.Conv2DTranspose(padding="same", **kwargs)
    stock = keras.layers.Conv2DTranspose(padding="same", **kwargs)
    x = jnp.asarray(rng.normal(size=(3, *shape)), "float32")
    kit.build((None, *shape)); stock.build((None, *shape))
    kit.set_weights([rng.normal(size=w.shape).astype("float32") for w in kit.get_weights()])
    stock.set_weights(kit.get_weights())
    (_, (dx, dk, db)), (_, (rx, rk, rb)) = loss_and_grads(kit, x), loss_and_grads(stock, x)
    errors[name] = {"output": relative(kit(x), stock(x)), "d_input": relative(dx, rx),
                    "d_kernel": relative(dk, rk), "d_bias": relative(db, rb)}
    # the fast path runs matrix products, not XLA's convolution
    convolutions[name] = "conv_general_dilated" in str(jax.make_jaxpr(lambda x: kit(x))(x))

# padding "valid" is not on the fast path: the stock call, to the last bit
kit = conv_layers.Conv2DTranspose(4, 3, strides=2, padding="valid")
stock = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="valid")
x = jnp.asarray(rng.normal(size=(2, 5, 5, 3)), "float32")
kit.build(x.shape); stock.build(x.shape); stock.set_weights(kit.get_weights())
valid_same = bool(np.array_equal(np.asarray(kit(x)), np.asarray(stock(x))))

# an mnist_conv model: saved, loaded and pickled, with the same predictions
model = architectures.build_autoencoder(architectures.get("mnist_conv"), 784)
before = model.predict(X, verbose=0)
model.save(sys.argv[1])
loaded = keras.models.load_model(sys.argv[1])
unpickled = pickle.loads(pickle.dumps(model))
print(json.dumps({
    "errors": errors, "convolutions": convolutions, "valid_same": valid_same,
    "default_deconv_convolves": "conv_general_dilated" in decoder,
    "loaded_same": bool(np.array_equal(loaded.predict(X, verbose=0), before)),
    "unpickled_same": bool(np.array_equal(unpickled.predict(X, verbose=0), before)),
    "loaded_classes": sorted({type(l).__module__ + "." + type(l).__name__
                              for sub in loaded.layers if hasattr(sub, "layers")
                              for l in sub.layers if "Conv" in type(l).__name__}),
}))
"""


@pytest.fixture(scope="module")
def on_jax(tmp_path_factory):
    target = tmp_path_factory.mktemp("jax") / "mnist_conv.keras"
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-m", "helpers.cpu_level", "--", sys.executable, "-c",
                           ON_JAX, str(target)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_jax
@pytest.mark.second_stream  # with the module's one JAX process
def test_on_jax_each_layer_and_its_gradients_match_the_stock_layer(on_jax):
    assert len(on_jax["errors"]) == 5
    for name, errors in on_jax["errors"].items():
        for what, error in errors.items():
            assert error < 1e-5, f"{name}: {what} differs by {error:.1e} (relative)"


@needs_jax
@pytest.mark.second_stream  # with the module's one JAX process
def test_on_jax_the_layers_use_no_xla_convolution_but_fall_back_where_they_must(on_jax):
    assert not any(on_jax["convolutions"].values()), on_jax["convolutions"]
    assert not on_jax["default_deconv_convolves"]  # mnist_conv's decoder, as built
    assert on_jax["valid_same"]  # padding="valid": the stock call


@needs_jax
@pytest.mark.second_stream  # with the module's one JAX process
def test_on_jax_a_model_with_the_layers_saves_loads_and_pickles(on_jax):
    assert on_jax["loaded_same"] and on_jax["unpickled_same"]
    assert "helpers.conv_layers.Conv2DTranspose" in on_jax["loaded_classes"]


# ----------------------------------------------------------------------- TensorFlow

def _mnist_conv(seed: int):
    reproducibility.seed_everything(seed, threads=2)
    return architectures.build_autoencoder(architectures.get("mnist_conv"), 784)


@pytest.fixture(scope="module")
def keras_tf():
    if reproducibility.backend() != "tensorflow":
        pytest.skip("the TensorFlow checks run in a TensorFlow process")
    return reproducibility.keras()


def test_on_tensorflow_mnist_conv_is_the_stock_model_to_the_last_bit(keras_tf, monkeypatch):
    from helpers import conv_layers

    kit = _mnist_conv(5)
    monkeypatch.setattr(conv_layers, "Conv2DTranspose", keras_tf.layers.Conv2DTranspose)
    stock = _mnist_conv(5)
    monkeypatch.undo()

    kinds = {type(layer).__module__ for sub in kit.layers if hasattr(sub, "layers")
             for layer in sub.layers if "Conv2DTranspose" in type(layer).__name__}
    assert kinds == {"helpers.conv_layers"}
    assert [w.name for w in kit.weights] == [w.name for w in stock.weights]
    for a, b in zip(kit.get_weights(), stock.get_weights()):
        assert np.array_equal(a, b)  # the same seed, the same weights
    X = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    assert np.array_equal(kit.predict(X, verbose=0), stock.predict(X, verbose=0))


def test_on_tensorflow_a_model_with_the_layers_saves_loads_and_pickles(keras_tf, tmp_path):
    model = _mnist_conv(2)
    X = np.random.default_rng(1).random((16, 784), dtype=np.float32)
    before = model.predict(X, verbose=0)
    model.save(tmp_path / "mnist_conv.keras")
    loaded = keras_tf.models.load_model(tmp_path / "mnist_conv.keras")
    assert loaded.get_layer("mnist_conv_decoder").get_layer("deconv_2").__class__.__module__ \
        == "helpers.conv_layers"
    assert np.array_equal(loaded.predict(X, verbose=0), before)
    assert np.array_equal(pickle.loads(pickle.dumps(model)).predict(X, verbose=0), before)
