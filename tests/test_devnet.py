import pickle
import types

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from helpers import devnet, reproducibility
from helpers.detector import NotFittedError
from helpers.devnet import DevNet, balanced_batches, deviation_loss, labelled_rows


@pytest.fixture(scope="module", autouse=True)
def _tensorflow_threads():
    reproducibility.seed_everything(0, threads=2)  # threads are fixed before TensorFlow first runs


def _split(n=2000, d=6, n_labelled=20, seed=0):
    """Normal rows ~ N(0, I); anomalies shifted by 3 in the first half of the features.
    The training rows hide 2% unmarked anomalies; 20 other anomalies are labelled."""
    rng = np.random.default_rng(seed)
    shift = np.r_[np.full(d // 2, 3.0), np.zeros(d - d // 2)]

    def rows(normal, anomalous):
        return np.r_[rng.normal(size=(normal, d)), rng.normal(size=(anomalous, d)) + shift]

    X_train = rows(n, n // 50)
    X_val, X_test = rows(500, 25), rows(500, 25)
    y = np.r_[np.zeros(500, int), np.ones(25, int)]
    parts = {"train": X_train, "val": X_val, "test": X_test}
    split = types.SimpleNamespace(X_train=X_train.astype("float32"),
                                  X_labelled=(rng.normal(size=(n_labelled, d)) + shift).astype("float32"),
                                  inputs=lambda part: parts[part].astype("float32"))
    return split, y


@pytest.fixture(scope="module")
def toy():
    split, y = _split()
    return split, y, DevNet().fit(split)  # the paper's defaults


# -- the deviation loss ----------------------------------------------------------
def test_deviation_loss_by_hand():
    reference = np.array([-1.0, 0.0, 1.0])  # mean 0, std sqrt(2/3) = 0.8164966
    y_pred = np.array([0.0, 1.0, -2.0, 1.0, 5.0])
    y_true = np.array([0.0, 0.0, 0.0, 1.0, 1.0])
    # dev = y_pred / 0.8164966 = [0, 1.2247449, -2.4494897, 1.2247449, 6.1237244]
    # normal rows pay |dev|:                 0, 1.2247449, 2.4494897
    # labelled anomalies pay max(0, 5 - dev):                          3.7752551, 0 (past the margin)
    by_hand = [0.0, 1.2247449, 2.4494897, 3.7752551, 0.0]
    for p, y, want in zip(y_pred, y_true, by_hand):
        got = float(deviation_loss([y], [p], margin=5.0, reference=reference))
        assert got == pytest.approx(want, rel=1e-6, abs=1e-6)
    mean = float(deviation_loss(y_true, y_pred.reshape(-1, 1), reference=reference))
    np.testing.assert_allclose(mean, np.mean(by_hand), rtol=1e-6)  # 7.4494897 / 5 = 1.4898979


def test_margin_and_normal_rows():
    reference = np.array([-1.0, 1.0])  # mean 0, std 1: dev = y_pred
    for dev in (5.0, 5.5, 12.0):  # an anomaly at or past the margin costs nothing
        assert float(deviation_loss([1.0], [dev], margin=5.0, reference=reference)) == 0.0
    assert float(deviation_loss([1.0], [4.0], margin=5.0, reference=reference)) == pytest.approx(1.0)
    assert float(deviation_loss([1.0], [4.0], margin=2.0, reference=reference)) == 0.0
    for dev in (-3.0, -0.5, 0.0, 2.0, 7.0):  # a normal row costs |dev|, whatever the margin
        got = float(deviation_loss([0.0], [dev], margin=5.0, reference=reference))
        assert got == pytest.approx(abs(dev))


def test_default_reference_and_keras_loss():
    import keras

    r = devnet.REFERENCE
    assert r.shape == (5000,) and abs(r.mean()) < 0.05 and abs(r.std() - 1) < 0.05
    assert np.array_equal(r, np.random.default_rng(devnet.REFERENCE_SEED).standard_normal(5000)
                          .astype("float32"))  # a constant, not drawn again per batch
    y_true, y_pred = np.array([[0.0], [1.0], [0.0]]), np.array([[0.3], [2.0], [-1.0]])
    loss = devnet.keras_loss(margin=4.0)
    want = float(deviation_loss(y_true, y_pred, margin=4.0))
    assert float(loss(y_true, y_pred)) == pytest.approx(want, rel=1e-6)
    again = keras.losses.deserialize(keras.losses.serialize(loss))  # registered: saved models load
    assert type(again) is type(loss) and again.margin == 4.0


# -- balanced batches ------------------------------------------------------------
def test_balanced_batches():
    index, labels = balanced_batches(100, 7, 16, 30, np.random.default_rng(1))
    assert index.shape == labels.shape == (30, 16)
    assert (labels.sum(axis=1) == 8).all()  # half of every batch is labelled anomalies
    assert ((index >= 100) == (labels == 1)).all()  # labelled rows come after the unlabelled ones
    assert index.min() >= 0 and index.max() < 107
    assert set(index[labels == 1].ravel() - 100) == set(range(7))  # all 7 used, with replacement
    for row, lab in zip(index, labels):
        assert len(set(row[lab == 0])) == 8  # no unlabelled row twice in one batch
    same = balanced_batches(100, 7, 16, 30, np.random.default_rng(1))
    other = balanced_batches(100, 7, 16, 30, np.random.default_rng(2))
    assert np.array_equal(index, same[0]) and np.array_equal(labels, same[1])
    assert not np.array_equal(index, other[0])
    odd, odd_labels = balanced_batches(100, 7, 5, 2, np.random.default_rng(0))
    assert odd.shape == (2, 5) and (odd_labels.sum(axis=1) == 2).all()
    with pytest.raises(ValueError, match="batch_size <= 6"):
        balanced_batches(3, 7, 16, 1, np.random.default_rng(0))


# -- the detector ----------------------------------------------------------------
def test_parameters_only_until_fitted():
    det = DevNet(seed=3)
    assert det.detector_type == "few labels" and det.name == "devnet" and det.trains_a_network
    assert not [k for k in vars(det) if k.endswith("_")]
    assert set(vars(det)) == set(det.get_params())
    assert det.get_params()["hidden"] == (20,) and det.get_params()["batch_size"] == 512
    with pytest.raises(NotFittedError, match="fit"):
        det.score_samples(_split()[0], "test")


def test_devnet_ranks_anomalies_first(toy):
    split, y, det = toy
    test = det.score_samples(split, "test")
    assert test.shape == (len(y),) and test.dtype == float
    assert roc_auc_score(y, test) > 0.9
    assert len(det.score_samples(split, "train")) == len(split.X_train)
    # normal rows score near the reference mean 0, anomalies near the margin and above
    assert abs(np.median(test[y == 0])) < 1 and np.median(test[y == 1]) > 3
    assert det.n_labelled_ == 20 and det.fit_seconds_ > 0
    assert "20 labelled anomalies" in det.describe()


def test_same_seed_same_scores(toy):
    split, _, det = toy
    again = DevNet().fit(split)
    assert np.array_equal(again.score_samples(split, "test"), det.score_samples(split, "test"))
    back = pickle.loads(pickle.dumps(det))  # how a fitted detector returns from a worker process
    assert np.array_equal(back.score_samples(split, "test"), det.score_samples(split, "test"))


def test_a_fitted_devnet_loads_in_a_process_that_never_trained_one(toy, tmp_path):
    """A worker returns a fitted DevNet pickled; the process that receives it has not
    registered the kit's deviation loss and RMSprop, which its network names."""
    import os
    import subprocess
    import sys

    split, _, det = toy
    blob = tmp_path / "devnet.pkl"
    blob.write_bytes(pickle.dumps(det))
    np.save(tmp_path / "rows.npy", split.inputs("test"))
    code = ("import pickle, sys, numpy as np\nfrom helpers import reproducibility\n"
            "reproducibility.seed_everything(0, threads=2)\n"
            "det = pickle.loads(open(sys.argv[1], 'rb').read())\n"
            "x = np.load(sys.argv[2])\n"
            "np.save(sys.argv[3], det.model_.predict(x, batch_size=4096, verbose=0).reshape(-1))")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code, str(blob), str(tmp_path / "rows.npy"),
                           str(tmp_path / "scores.npy")], cwd=os.path.dirname(os.path.dirname(__file__)),
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert np.array_equal(np.load(tmp_path / "scores.npy"), det.score_samples(split, "test"))


def test_needs_labelled_anomalies():
    split, _ = _split(n=200)
    no_attr = types.SimpleNamespace(X_train=split.X_train, inputs=split.inputs)
    empty = types.SimpleNamespace(X_train=split.X_train, inputs=split.inputs,
                                  X_labelled=np.empty((0, 6), "float32"))
    for bad in (no_attr, empty):
        with pytest.raises(ValueError, match="needs labelled anomalies.*few-labels protocol"):
            DevNet(epochs=1).fit(bad)
        with pytest.raises(ValueError, match="thyroid, shuttle or csv"):
            labelled_rows(bad)
    X_unlabelled, X_labelled = labelled_rows(split)
    assert X_unlabelled.shape == (204, 6) and X_labelled.shape == (20, 6)


def test_frozen_encoder():
    import keras

    encoder = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)], name="encoder")
    kernel = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    encoder.set_weights([kernel, np.zeros(3, "float32")])
    before = [w.copy() for w in encoder.get_weights()]
    split, y = _split(seed=1)
    det = DevNet(encoder=encoder, epochs=20).fit(split)
    for w, b in zip(det.encoder_.get_weights(), before):  # frozen: unchanged by training
        np.testing.assert_array_equal(w, b)
    assert all(np.array_equal(w, b) for w, b in zip(encoder.get_weights(), before))
    assert encoder.trainable  # the model given is left as it was (DevNet trains a copy)
    assert roc_auc_score(y, det.score_samples(split, "test")) > 0.8  # the head learnt
    assert "frozen encoder" in det.describe() and "<encoder>" in repr(det)
    portable = det.portable()  # ready for another process: the encoder as bytes
    assert isinstance(portable.encoder, bytes) and not portable.fitted()
    assert np.array_equal(portable.fit(split).score_samples(split, "test"),
                          det.score_samples(split, "test"))
