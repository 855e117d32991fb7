import math
import pickle

import numpy as np
import pytest

from helpers import reproducibility, training


@pytest.fixture(scope="module", autouse=True)
def _seeded():
    reproducibility.seed_everything(0, threads=2)


@pytest.fixture(scope="module")
def ll():
    from helpers import latent_layers

    return latent_layers


def _np(x):
    import keras

    return keras.ops.convert_to_numpy(x)


def _f32(rows):
    return np.asarray(rows, dtype="float32")


def _autoencoder(ll, kind: str, input_dim: int = 6, **kwargs):
    """Encoder chained with a plain Dense(input_dim) decoder."""
    import keras

    make = ll.vae_encoder if kind == "vae" else ll.memae_encoder
    encoder = make(input_dim, (8,), 3, **kwargs)
    inputs = keras.Input(shape=(input_dim,), name="input")
    decoder = keras.layers.Dense(input_dim, name="reconstruction")
    return keras.Model(inputs, decoder(encoder(inputs)), name=f"{kind}_ae")


def _compile(model):
    model.compile(optimizer="adam", loss="mse", **training.compile_options())
    return model


def _data(n=256, d=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype("float32")


# ---------------------------------------------------------------- MemAE addressing

def test_memaes_softmax_and_its_gradients_use_true_divisions_on_tensorflow(ll):
    """TensorFlow's softmax and its gradient of a log go through the CPU's approximate
    reciprocal, whose last bits differ between CPU designs; MemAE's own are divisions,
    exact on every CPU: here they equal NumPy's to the last bit, as does its norm's
    gradient, 0 at an all-zero row."""
    if reproducibility.backend() != "tensorflow":
        pytest.skip("JAX's own are divisions already")
    import tensorflow as tf

    x = tf.constant(_f32([[3.0, 4.0, 0.5], [0.0, 0.0, 0.0], [1e-3, -2.0, 7.0]]))
    up = tf.constant(_f32([[0.3], [0.7], [-1.1]]))
    p = tf.constant(_f32([[0.2, 0.5, 1e-6], [1.0, 3.0, 0.7], [0.01, 0.02, 0.9]]))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, p])
        norm = ll._row_norm(x)
        log = ll._log(p)
    d_norm = tape.gradient(norm, x, output_gradients=up).numpy()
    n, xs, ups = norm.numpy(), x.numpy(), up.numpy()
    expected = ups * np.where(n > 0, xs / np.where(n > 0, n, 1), 0)
    assert np.array_equal(d_norm, expected) and not np.any(np.isnan(d_norm))  # the zero row: 0
    assert np.array_equal(log.numpy(), tf.math.log(p).numpy())
    assert np.array_equal(tape.gradient(log, p).numpy(), 1.0 / p.numpy())
    soft = ll._softmax(x).numpy()
    e = tf.math.exp(x - tf.reduce_max(x, axis=-1, keepdims=True))
    assert np.array_equal(soft, e.numpy() / tf.reduce_sum(e, axis=-1, keepdims=True).numpy())
    np.testing.assert_allclose(soft, tf.nn.softmax(x).numpy(), rtol=1e-6)


def test_address_two_slots_shrinkage_zeroes_a_slot(ll):
    # z = (1, 0); slots (1, 0) and (0, 1): cosine similarities 1 and 0.
    # softmax: e/(e+1) = 2.718282/3.718282 = 0.731059 and 1/(e+1) = 0.268941.
    # shrink = 1/2: 0.731059 > 0.5 is kept, 0.268941 < 0.5 becomes 0.
    # renormalised: 0.731059 / 0.731059 = 1, so w_hat = (1, 0), entropy -1 log 1 = 0.
    memory = _f32([[1, 0], [0, 1]])
    w = _np(ll.address(_f32([[1, 0]]), memory, shrink=0.5))
    np.testing.assert_allclose(w, [[1.0, 0.0]], atol=1e-6)
    assert _np(ll.entropy(ll.address(_f32([[1, 0]]), memory, 0.5)))[0] == pytest.approx(0, abs=1e-6)
    # with a threshold below both weights nothing is cut: w_hat = softmax = (0.731059, 0.268941)
    np.testing.assert_allclose(_np(ll.address(_f32([[1, 0]]), memory, 0.2)),
                               [[0.731059, 0.268941]], atol=1e-6)


# z = (3, 4), |z| = 5; slots (1, 0), (0, 2), (-3, 0) of lengths 1, 2, 3:
# cosines 3/5 = 0.6, 8/(5*2) = 0.8, -9/(5*3) = -0.6 (the slots' lengths do not count).
# exp: 1.822119, 2.225541, 0.548812; sum 4.596471;
# softmax w = (0.396417, 0.484185, 0.119398).
Z = [[3, 4]]
MEMORY = [[1, 0], [0, 2], [-3, 0]]


def test_address_three_slots_cut_and_renormalised(ll):
    # shrink = 1/3 = 0.333333: 0.396417 and 0.484185 are kept, 0.119398 becomes 0;
    # kept sum 0.880602, so w_hat = (0.396417/0.880602, 0.484185/0.880602, 0)
    #                             = (0.450166, 0.549834, 0), which sums to 1.
    w = _np(ll.address(_f32(Z), _f32(MEMORY), shrink=1 / 3))
    np.testing.assert_allclose(w, [[0.450166, 0.549834, 0.0]], atol=1e-6)
    assert w.sum() == pytest.approx(1, abs=1e-6)
    # entropy: -(0.450166 ln 0.450166 + 0.549834 ln 0.549834)
    #        = -(0.450166 * -0.798139 + 0.549834 * -0.598139) = 0.359293 + 0.328877 = 0.688172
    assert _np(ll.entropy(w))[0] == pytest.approx(0.688172, abs=1e-5)


def test_address_low_threshold_keeps_softmax(ll):
    # shrink = 0.1 is below every weight: relu(w - 0.1) * w / |w - 0.1| = w, so w_hat = softmax
    w = _np(ll.address(_f32(Z), _f32(MEMORY), shrink=0.1))
    np.testing.assert_allclose(w, [[0.396417, 0.484185, 0.119398]], atol=1e-6)
    # -(0.396417 ln 0.396417 + 0.484185 ln 0.484185 + 0.119398 ln 0.119398) = 0.971730
    assert _np(ll.entropy(w))[0] == pytest.approx(0.971730, abs=1e-5)


def test_memory_output_is_weighted_sum_of_slots(ll):
    layer = ll.Memory(slots=3, shrink=1 / 3, entropy_weight=0.5)
    layer.build((None, 2))
    layer.set_weights([_f32(MEMORY)])
    z_hat = _np(layer(_f32(Z)))
    # w_hat @ M = 0.450166 * (1, 0) + 0.549834 * (0, 2) + 0 * (-3, 0) = (0.450166, 1.099668)
    np.testing.assert_allclose(z_hat, [[0.450166, 1.099668]], atol=1e-5)
    # the entropy loss: 0.5 * 0.688172
    assert [float(_np(x)) for x in layer.losses] == pytest.approx([0.344086], abs=1e-5)


def test_memory_default_threshold_is_one_over_slots(ll):
    assert ll.Memory(slots=4).threshold == 0.25
    assert ll.Memory(slots=4, shrink=0.5).threshold == 0.5


@pytest.mark.parametrize("kwargs, bad", [
    ({"slots": 0}, "0"), ({"slots": 1}, "1"), ({"slots": -3}, "-3"), ({"slots": 2.5}, "2.5"),
    ({"slots": 10, "shrink": 0}, "0"), ({"slots": 10, "shrink": 1.0}, "1.0"),
    ({"slots": 10, "shrink": -0.2}, "-0.2"), ({"slots": 10, "shrink": 1.5}, "1.5"),
])
def test_bad_memory_settings_are_refused(ll, kwargs, bad):
    name = "shrink" if "shrink" in kwargs else "slots"
    with pytest.raises(ValueError, match=rf"{name} must .*got {bad}$"):
        ll.Memory(**kwargs)
    with pytest.raises(ValueError, match=rf"got {bad}$"):
        ll.memae_encoder(4, (8,), 2, **kwargs)


def test_shrink_message_names_the_paper_range(ll):
    with pytest.raises(ValueError, match=r"0\.1 to 0\.3"):
        ll.Memory(slots=10, shrink=1.2)


# ---------------------------------------------------------------------------- VAE

def test_sampling_returns_the_mean_at_inference(ll):
    mean, log_var = _data(5, 3, 1), _data(5, 3, 2)
    layer = ll.Sampling(seed=3)
    np.testing.assert_array_equal(_np(layer([mean, log_var])), mean)
    np.testing.assert_array_equal(_np(layer([mean, log_var], training=False)), mean)


def test_sampling_kl_loss_by_hand(ll):
    # row 1: mean (1, 0), log_var (0, 0):    -0.5 * [(1 + 0 - 1 - 1) + (1 + 0 - 0 - 1)] = 0.5
    # row 2: mean (0, 0), log_var (ln 2, 0): -0.5 * [(1 + ln 2 - 0 - 2) + 0] = 0.5 (1 - ln 2) = 0.153426
    # batch mean (0.5 + 0.153426) / 2 = 0.326713; times kl_weight 2 = 0.653426
    mean, log_var = _f32([[1, 0], [0, 0]]), _f32([[0, 0], [math.log(2), 0]])
    np.testing.assert_allclose(_np(ll.kl_divergence(mean, log_var)), [0.5, 0.153426], atol=1e-6)
    layer = ll.Sampling(kl_weight=2.0)
    layer([mean, log_var])
    assert [float(_np(x)) for x in layer.losses] == pytest.approx([0.653426], abs=1e-6)


def test_sampling_spread_in_training(ll):
    # mean 1, variance exp(ln 4) = 4, so standard deviation 2
    mean = np.ones((20000, 2), "float32")
    log_var = np.full((20000, 2), math.log(4), "float32")
    z = _np(ll.Sampling(seed=1)([mean, log_var], training=True))
    assert z.mean() == pytest.approx(1, abs=0.05)
    assert z.std() == pytest.approx(2, abs=0.05)
    # the same seed draws the same noise
    again = _np(ll.Sampling(seed=1)([mean, log_var], training=True))
    np.testing.assert_array_equal(z, again)


def test_negative_elbo_by_hand(ll, trained):
    model = trained["vae"]
    X = _data(50)
    w = {layer.name: layer.get_weights() for layer in ll.find_submodel(model, "z_mean").layers}
    h = np.maximum(X @ w["enc_1"][0] + w["enc_1"][1], 0)      # Dense(8, relu)
    mean = h @ w["z_mean"][0] + w["z_mean"][1]
    log_var = h @ w["z_log_var"][0] + w["z_log_var"][1]
    W, b = model.get_layer("reconstruction").get_weights()
    reconstruction = mean @ W + b                               # decoder on the mean
    expected = (0.5 * ((X - reconstruction) ** 2).sum(axis=1)
                - 0.5 * (1 + log_var - mean**2 - np.exp(log_var)).sum(axis=1))
    score = ll.negative_elbo(model, X, batch_size=7)
    assert score.shape == (50,)
    np.testing.assert_allclose(score, expected, rtol=1e-4, atol=1e-4)


def test_find_layer_and_code_model(ll):
    model = _autoencoder(ll, "memae")
    assert ll.find_layer(model, "memory").slots == 50
    assert ll.find_submodel(model, "code").name == "memae_encoder"
    with pytest.raises(KeyError, match="'z_mean'"):
        ll.negative_elbo(model, _data(4))
    X = _data(10)
    codes = ll.code_model(model).predict(X, verbose=0)
    W, b = ll.find_layer(model, "code").get_weights()
    w1, b1 = ll.find_layer(model, "enc_1").get_weights()
    np.testing.assert_allclose(codes, np.maximum(X @ w1 + b1, 0) @ W + b, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------- round trips and training

def _train(ll, kind):
    """A small autoencoder trained for 2 epochs from seed 0; returns it and its history."""
    import keras

    keras.utils.set_random_seed(0)
    model = _compile(_autoencoder(ll, kind, seed=None))  # layer seeds from Keras's global seed
    X = _data(256)
    return model, model.fit(X, X, epochs=2, batch_size=32, verbose=0)


@pytest.fixture(scope="module")
def trained(ll):
    return {kind: _train(ll, kind)[0] for kind in ("vae", "memae")}


@pytest.mark.parametrize("kind", ["vae", "memae"])
def test_save_load_and_pickle_round_trips(ll, trained, kind, tmp_path):
    import keras

    model = trained[kind]
    X = _data(40)
    before = model.predict(X, verbose=0)
    path = tmp_path / "x.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), before)
    copy = pickle.loads(pickle.dumps(model))  # noqa: S301
    np.testing.assert_array_equal(copy.predict(X, verbose=0), before)
    # an untrained model, as the kit sends it to worker processes
    fresh = _autoencoder(ll, kind)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fresh)).predict(X, verbose=0),  # noqa: S301
                                  fresh.predict(X, verbose=0))
    if kind == "vae":
        np.testing.assert_array_equal(ll.negative_elbo(loaded, X), ll.negative_elbo(model, X))
    else:
        layer = ll.find_layer(loaded, "memory")
        assert (layer.slots, layer.shrink, layer.entropy_weight) == (50, None, 2e-4)


@pytest.mark.parametrize("kind", ["vae", "memae"])
def test_fit_includes_the_added_loss(ll, trained, kind):
    model = trained[kind]
    assert np.isfinite(model.history.history["loss"]).all()
    X = _data(256)
    model(X)
    assert len(model.losses) == 1
    extra = float(_np(model.losses[0]))
    assert extra > 0
    # one batch: the reported loss is the MSE plus the layer's term
    mse = float(((model.predict(X, verbose=0) - X) ** 2).mean())
    assert model.evaluate(X, X, batch_size=256, verbose=0) == pytest.approx(mse + extra, rel=1e-4)


@pytest.mark.parametrize("kind", ["vae", "memae"])
def test_training_is_deterministic(ll, trained, kind):
    again, _ = _train(ll, kind)
    for a, b in zip(trained[kind].get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
