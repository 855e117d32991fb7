import numpy as np
import pytest

from helpers import architectures, reproducibility, scoring, training
from helpers.checks import ParameterError


@pytest.fixture(scope="module", autouse=True)
def _seeded():
    reproducibility.seed_everything(0, threads=2)


@pytest.mark.parametrize("name", list(architectures.REGISTRY))
def test_shapes(name):
    arch = architectures.get(name)
    dim = 784 if arch.family == "image" else 32
    enc = architectures.build_encoder(arch, dim)
    dec = architectures.build_decoder(arch, dim)
    ae = architectures.assemble(enc, dec, name)
    assert enc.output_shape == (None, arch.sized(dim).latent_dim)
    assert dec.output_shape == (None, dim)
    assert ae.predict(np.zeros((4, dim), "float32"), verbose=0).shape == (4, dim)
    table = architectures.summary_table(ae)
    assert table.loc["total", "parameters"] == ae.count_params()


def test_seed_architectures_are_as_the_seed_wrote():
    assert architectures.get("seed_simple").encoder_units == (32,)
    assert architectures.get("seed_deep").encoder_units == (16, 8, 4)
    assert architectures.get("seed_deep").decoder_units == (8, 16)
    # the defaults can reach standardised data; only the pitfall keeps the sigmoid
    for name in ("seed_simple", "seed_deep", "kit_dense"):
        assert architectures.get(name).output_activation == "linear"
    assert architectures.get("seed_deep_sigmoid").output_activation == "sigmoid"


def test_unknown_architecture():
    with pytest.raises(ParameterError, match="'kit_dense'"):
        architectures.get("transformer")


def _train_once(seed):
    reproducibility.seed_everything(seed, threads=2)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(512, 8)).astype("float32")
    arch = architectures.Architecture("tiny", "test", (6, 3), (6,))
    model = architectures.build_autoencoder(arch, 8)
    training.compile_autoencoder(model, arch)
    fit = training.fit_autoencoder(model, X[:400], X[400:], epochs=4, batch_size=64)
    return fit, scoring.element_errors(model, X[400:]).mean(axis=1)


def test_training_lowers_the_loss_and_is_reproducible():
    fit_a, err_a = _train_once(7)
    fit_b, err_b = _train_once(7)
    assert fit_a.history["loss"][-1] < fit_a.history["loss"][0]
    assert fit_a.epochs_run == 4 and 1 <= fit_a.best_epoch <= 4
    np.testing.assert_array_equal(err_a, err_b)  # same seed, same numbers
    assert err_a.shape == (112,) and (err_a >= 0).all()


def test_thread_count_cannot_change_silently():
    with pytest.raises(RuntimeError, match="restart the kernel"):
        reproducibility.seed_everything(0, threads=3)


def test_versions_lists_tensorflow():
    assert reproducibility.versions()["tensorflow"] != "not installed"


def test_conv_needs_square_images():
    with pytest.raises(ValueError, match="square images"):
        architectures.build_encoder(architectures.get("mnist_conv"), 30)


def test_families_keep_models_with_their_data():
    assert "kit_dense" in architectures.names("tabular")
    assert "kit_dense" not in architectures.names("image")
    assert "seed_deep_sigmoid" not in architectures.names()  # pitfall only


def test_split_fit_table_gives_loss_and_r2_per_part():
    from sklearn.metrics import r2_score

    from helpers.datasets.base import Split

    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 8)).astype("float32")
    split = Split(X[:50], X[50:70], np.zeros(20, int), X[70:], np.zeros(20, int), 0.1)
    from helpers.autoencoder import Autoencoder

    model = architectures.build_autoencoder(architectures.Architecture("tiny", "test", (6, 3), (6,)), 8)
    tiny = Autoencoder("tiny")
    tiny.model_, tiny.fit_seconds_ = model, 0.0  # as if fitted
    table = training.split_fit_table({"tiny": tiny}, split, max_rows=10)
    recon = model.predict(X[70:], verbose=0)
    keep = np.linspace(0, 19, 10).astype(int)  # at most 10 rows per part, evenly spaced
    assert table.loc["tiny", "test loss"] == pytest.approx(np.mean((X[70:][keep] - recon[keep]) ** 2), rel=1e-4)
    assert table.loc["tiny", "test R²"] == pytest.approx(
        r2_score(X[70:][keep].ravel(), recon[keep].ravel()), rel=1e-4)
    assert list(table.columns) == ["train loss", "train R²", "validation loss", "validation R²",
                                   "test loss", "test R²"]
