"""Encoders with a special latent space: a variational autoencoder (VAE) and a
memory-augmented autoencoder (MemAE), for tabular data.

Both are ordinary Keras encoders: chain one with a plain dense decoder
(``architectures.assemble``), compile with an MSE loss and fit on ``(X, X)``. The
extra term each model needs is added by one of its layers through ``add_loss``,
so Keras adds it to the MSE during training.

**VAE.** The encoder does not output one code per row but a Gaussian: a mean and a
log-variance for every latent dimension (layers ``z_mean`` and ``z_log_var``).
While training, the ``Sampling`` layer draws the code from that Gaussian, so the
decoder must cope with codes that wobble, and adds the KL divergence from the
Gaussian to N(0, I), which keeps the codes of normal rows packed around zero. At
inference the code is the mean, so scores are deterministic. ``negative_elbo``
scores a row by reconstruction error plus how far its code lies from the prior.

**MemAE** (Gong et al., ICCV 2019, "Memorizing normality to detect anomaly"). The
``Memory`` layer holds N learned prototype codes (the slots). A code is replaced
by a weighted mix of slots: weights from the cosine similarity (softmax), small
weights cut to zero (hard shrinkage), the rest renormalised to sum 1. Trained on
normal rows, the slots hold normal patterns, so an anomaly is rebuilt from normal
parts and its reconstruction error is large. An entropy penalty on the weights
pushes each row to use few slots.

Only ``keras``, ``keras.ops`` and ``keras.random`` act on tensors, so the code
does not depend on the backend.

A pickled model holds the names of these layers, not their code: a process that
unpickles (or loads) one must have imported this module first.
"""
from __future__ import annotations

import numpy as np

from . import reproducibility


keras = reproducibility.keras()
ops = keras.ops


def _widths(hidden) -> tuple[int, ...]:
    return (hidden,) if isinstance(hidden, int) else tuple(hidden)


# ----------------------------------------------------------------------------- VAE

def kl_divergence(mean, log_var):
    """KL divergence from N(mean, exp(log_var)) to N(0, I), one value per row:
    ``-0.5 * sum(1 + log_var - mean**2 - exp(log_var))`` over the latent dims."""
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


@keras.saving.register_keras_serializable(package="anomaly_kit")
class Sampling(keras.layers.Layer):
    """``[mean, log_var] -> z``. Training: ``z = mean + exp(log_var / 2) * eps`` with
    ``eps ~ N(0, 1)`` (the reparameterisation trick: the randomness is an input, so
    gradients flow through mean and log_var). Inference: ``z = mean``.

    Adds ``kl_weight * mean over the batch of the KL divergence`` as a loss."""

    def __init__(self, kl_weight: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = float(kl_weight)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        mean, log_var = inputs
        if reproducibility.backend() == "jax":
            # On JAX, rows far outside the training data (shuttle's validation rows reach
            # 100 standard deviations) push exp(log_var) past float32's range and the loss
            # becomes NaN; a variance between e^-30 and e^30 covers any sensible code.
            # TensorFlow keeps its unclipped maths, and its figures, as they are.
            log_var = ops.clip(log_var, -30.0, 30.0)
        self.add_loss(self.kl_weight * ops.mean(kl_divergence(mean, log_var)))
        if not training:
            return mean
        eps = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight, "seed": self.seed}


def vae_encoder(input_dim: int, hidden, latent: int, activation: str = "relu",
                name: str = "vae_encoder", kl_weight: float = 1.0, seed: int | None = 0):
    """Input -> Dense(hidden...) -> two heads ``z_mean``, ``z_log_var`` (linear, width
    ``latent``) -> ``Sampling`` (layer ``latent``) -> z."""
    inputs = keras.Input(shape=(input_dim,), name="input")
    x = inputs
    for i, units in enumerate(_widths(hidden)):
        x = keras.layers.Dense(units, activation=activation, name=f"enc_{i + 1}")(x)
    mean = keras.layers.Dense(latent, name="z_mean")(x)
    log_var = keras.layers.Dense(latent, name="z_log_var")(x)
    z = Sampling(kl_weight=kl_weight, seed=seed, name="latent")([mean, log_var])
    return keras.Model(inputs, z, name=name)


def _has_layer(model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)


def find_layer(model, name: str):
    """The layer called ``name`` in ``model`` or in a model nested in it (at any
    depth); works on a model from ``keras.models.load_model`` or pickle."""
    for layer in model.layers:
        if layer.name == name:
            return layer
        if isinstance(layer, keras.Model):
            try:
                return find_layer(layer, name)
            except KeyError:
                pass
    raise KeyError(f"no layer named {name!r} in model {model.name!r}")


def find_submodel(model, layer_name: str):
    """The (sub-)model that directly holds the layer ``layer_name``: ``model`` itself
    or an encoder nested in it. Among nested models, one whose name ends with
    ``_encoder`` is tried first."""
    if _has_layer(model, layer_name):
        return model
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    nested.sort(key=lambda m: not m.name.endswith("_encoder"))
    for sub in nested:
        try:
            return find_submodel(sub, layer_name)
        except KeyError:
            pass
    raise KeyError(f"no layer named {layer_name!r} in model {model.name!r} or its sub-models")


def negative_elbo(model, X, batch_size: int = 4096) -> np.ndarray:
    """The VAE anomaly score, one number per row: ``0.5 * sum of squared
    reconstruction errors`` (the negative log-likelihood of a unit-variance Gaussian,
    without its constant) plus the row's KL divergence (not weighted by
    ``kl_weight``). Both at inference, where the code is the mean, so the score is
    deterministic. ``model`` is the assembled autoencoder (or a model holding the
    VAE encoder)."""
    X = np.asarray(X, dtype="float32")
    encoder = find_submodel(model, "z_mean")
    heads = keras.Model(encoder.inputs, [encoder.get_layer("z_mean").output,
                                         encoder.get_layer("z_log_var").output])
    mean, log_var = heads.predict(X, batch_size=batch_size, verbose=0)
    reconstruction = model.predict(X, batch_size=batch_size, verbose=0)
    mean, log_var = mean.astype("float64"), log_var.astype("float64")
    recon = 0.5 * np.sum((X.astype("float64") - reconstruction) ** 2, axis=1)
    kl = -0.5 * np.sum(1.0 + log_var - mean**2 - np.exp(log_var), axis=1)
    return recon + kl


# ---------------------------------------------------------------------------- MemAE

@ops.custom_gradient
def _row_norm(x):
    """The Euclidean norm of each row, ``sqrt(sum x^2)`` (keepdims), with its gradient
    written out as ``x / |x|``, one division per element, and 0 for an all-zero row (as
    on JAX), so that all of MemAE's arithmetic is plain operations (see ``_softmax`` and
    ``_log`` for the two that TensorFlow computes through an approximation)."""
    norm = ops.sqrt(ops.sum(ops.square(x), axis=-1, keepdims=True))

    def grad(*args, upstream=None):
        upstream = args[0] if upstream is None else upstream
        positive = ops.greater(norm, 0.0)
        unit = x / ops.where(positive, norm, ops.ones_like(norm))
        return upstream * ops.where(positive, unit, ops.zeros_like(unit))

    return norm, grad


@ops.custom_gradient
def _log(x):
    """``log x``, with its gradient ``1 / x`` computed by a true division: TensorFlow's
    multiplies by ``reciprocal(x)``, which goes through the CPU's approximate reciprocal
    instruction (see ``_softmax``)."""
    def grad(*args, upstream=None):
        upstream = args[0] if upstream is None else upstream
        return upstream / x

    return ops.log(x), grad


def _safe_norm(x, keepdims: bool = False):
    """The Euclidean norm of each row. On TensorFlow it is :func:`_row_norm`. On JAX the
    gradient of the plain ``ops.norm`` is exact already, but NaN at an all-zero row (a code
    whose ReLU inputs all died is exactly 0; the square root's gradient there is 0/0, and
    JAX passes the NaN on to every weight), so such a row's norm is taken of ones and set
    to 0."""
    if reproducibility.backend() != "jax":
        norm = _row_norm(ops.copy(x))  # a tensor: TensorFlow's custom gradient refuses a weight
        return norm if keepdims else ops.squeeze(norm, axis=-1)
    zero = ops.all(ops.equal(x, 0.0), axis=-1, keepdims=True)
    norm = ops.norm(ops.where(zero, ops.ones_like(x), x), axis=-1, keepdims=True)
    norm = ops.where(zero, ops.zeros_like(norm), norm)
    return norm if keepdims else ops.squeeze(norm, axis=-1)


def _softmax(x):
    """Softmax over the last axis. On TensorFlow it is written out, ``exp(x - max) / sum``:
    TensorFlow's own softmax divides by way of the CPU's approximate reciprocal
    instruction (``rcpps`` and a Newton step), whose last bits differ between Intel's and
    AMD's designs, so the same seed would train another memory on each; a division is
    exact on every CPU (the kit's models use no other softmax; ``tools/emulated_cpus.py``
    finds such instructions). JAX's softmax is that formula already (with its own
    gradient), and stays."""
    if reproducibility.backend() == "jax":
        return ops.softmax(x, axis=-1)
    e = ops.exp(x - ops.max(x, axis=-1, keepdims=True))
    return e / ops.sum(e, axis=-1, keepdims=True)


def address(z, memory, shrink: float, epsilon: float = 1e-12):
    """MemAE's addressing weights ``w_hat`` (B, N) of codes ``z`` (B, C) over the
    slots of ``memory`` (N, C):

    1. cosine similarity ``d_i = z . m_i / (|z| |m_i| + epsilon)``;
    2. ``w = softmax(d)`` over the slots;
    3. hard shrinkage ``relu(w_i - shrink) * w_i / (|w_i - shrink| + epsilon)``, which
       is ``w_i`` above the threshold and 0 below, written so that it has gradients;
    4. renormalisation to sum 1: ``w_hat / max(sum |w_hat|, epsilon)``."""
    z = ops.convert_to_tensor(z)
    memory = ops.convert_to_tensor(memory, dtype=z.dtype)
    dots = ops.matmul(z, ops.transpose(memory))
    norms = _safe_norm(z, keepdims=True) * ops.expand_dims(_safe_norm(memory), 0)
    w = _softmax(dots / (norms + epsilon))
    w = ops.relu(w - shrink) * w / (ops.abs(w - shrink) + epsilon)
    return w / ops.maximum(ops.sum(ops.abs(w), axis=-1, keepdims=True), epsilon)


def entropy(w_hat, epsilon: float = 1e-12):
    """Entropy of each row's addressing weights, ``sum_i -w_i log(w_i + epsilon)``:
    0 when a row uses one slot, ``log N`` when it spreads evenly over N."""
    log = ops.log if reproducibility.backend() == "jax" else _log
    return ops.sum(-w_hat * log(w_hat + epsilon), axis=-1)


@keras.saving.register_keras_serializable(package="anomaly_kit")
class Memory(keras.layers.Layer):
    """MemAE's memory: ``z -> w_hat @ M``, with ``M`` (slots, C) a trained weight and
    ``w_hat = address(z, M, shrink)``. Adds ``entropy_weight * mean entropy(w_hat)``
    as a loss.

    ``shrink`` is the hard-shrinkage threshold; ``None`` means ``1 / slots``. Any value
    in (0, 1) is accepted; the paper uses values between ``1 / slots`` and
    ``3 / slots``. A larger threshold keeps fewer slots per row."""

    def __init__(self, slots: int = 50, shrink: float | None = None,
                 entropy_weight: float = 2e-4, epsilon: float = 1e-12,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(slots, bool) or not isinstance(slots, (int, np.integer)) or slots < 2:
            raise ValueError(f"slots must be an integer >= 2 (one slot would give every row "
                             f"the same code); got {slots!r}")
        if shrink is not None and not 0 < shrink < 1:
            raise ValueError(f"shrink must lie in (0, 1), the paper uses 1/slots to 3/slots "
                             f"({1 / slots:.3g} to {3 / slots:.3g} here); got {shrink!r}")
        if entropy_weight < 0:
            raise ValueError(f"entropy_weight must be >= 0; got {entropy_weight!r}")
        self.slots = int(slots)
        self.shrink = shrink
        self.entropy_weight = float(entropy_weight)
        self.epsilon = float(epsilon)
        self.seed = seed

    @property
    def threshold(self) -> float:
        return 1.0 / self.slots if self.shrink is None else float(self.shrink)

    def build(self, input_shape):
        width = input_shape[-1]
        limit = 1.0 / np.sqrt(width)  # as the authors' code: uniform in +-1/sqrt(C)
        self.memory = self.add_weight(
            shape=(self.slots, width), name="memory",
            initializer=keras.initializers.RandomUniform(-limit, limit, seed=self.seed))

    def call(self, z):
        w_hat = address(z, self.memory, self.threshold, self.epsilon)
        self.add_loss(self.entropy_weight * ops.mean(entropy(w_hat, self.epsilon)))
        return ops.matmul(w_hat, self.memory)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "slots": self.slots, "shrink": self.shrink,
                "entropy_weight": self.entropy_weight, "epsilon": self.epsilon,
                "seed": self.seed}


def memae_encoder(input_dim: int, hidden, latent: int, activation: str = "relu",
                  name: str = "memae_encoder", slots: int = 50, shrink: float | None = None,
                  entropy_weight: float = 2e-4, seed: int | None = 0):
    """Input -> Dense(hidden...) -> Dense(latent) (layer ``code``) -> ``Memory`` (layer
    ``memory``) -> z_hat."""
    memory = Memory(slots=slots, shrink=shrink, entropy_weight=entropy_weight, seed=seed,
                    name="memory")  # first, so that bad settings fail before building
    inputs = keras.Input(shape=(input_dim,), name="input")
    x = inputs
    for i, units in enumerate(_widths(hidden)):
        x = keras.layers.Dense(units, activation=activation, name=f"enc_{i + 1}")(x)
    code = keras.layers.Dense(latent, name="code")(x)
    return keras.Model(inputs, memory(code), name=name)


def code_model(encoder):
    """The model from the encoder's input to its ``code`` layer: the features before
    the memory. ``encoder`` may also be an autoencoder holding the MemAE encoder."""
    encoder = find_submodel(encoder, "code")
    return keras.Model(encoder.inputs, encoder.get_layer("code").output,
                       name=f"{encoder.name}_code")
