"""The detectors that read a few labels, the models sized to a table, and notebook 07's
few-labels report: answers, the label curve, the submission and seed 004's accuracy."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers import (architectures, datasets, detectors, few_labels, leaderboard, pitfalls,
                     preprocessing, reproducibility, scoring, tuning)
from helpers.datasets.base import Split
from helpers.datasets.labelled import FewLabelSplit


@pytest.fixture(scope="module", autouse=True)
def _seeded():
    reproducibility.seed_everything(0, threads=2)


def toy(n=1500, d=6, labelled=20, seed=0) -> FewLabelSplit:
    """Normal Gaussian rows; anomalies shifted by 3 in every feature; 2% of the unlabelled
    rows are unmarked anomalies."""
    rng = np.random.default_rng(seed)

    def rows(k, shift=0.0):
        return (rng.normal(size=(k, d)) + shift).astype("float32")

    X_train = np.r_[rows(n), rows(n // 50, 3)]
    y_val = np.r_[np.zeros(300, int), np.ones(30, int)]
    X_val = np.r_[rows(300), rows(30, 3)]
    y_test = np.r_[np.zeros(300, int), np.ones(30, int)]
    X_test = np.r_[rows(300), rows(30, 3)]
    return FewLabelSplit(X_train, X_val, y_val, X_test, y_test, 0.09, {}, {},
                         X_labelled=rows(labelled, 3),
                         test_ids=np.array([f"t{i}" for i in range(len(y_test))]))


def plain_split() -> Split:
    s = toy()
    return Split(s.X_train, s.X_val, s.y_val, s.X_test, s.y_test, 0.09)


@pytest.mark.parametrize("name", ["supervised", "devnet", "memae_devnet"])
def test_detectors_that_need_labels_refuse_a_split_without_them(name):
    det = detectors.build(name, seed=0)
    assert det.detector_type == "few labels"
    with pytest.raises(ValueError, match="needs labelled anomalies.*thyroid, shuttle or csv"):
        det.fit(plain_split())


def test_the_supervised_classifier_learns_from_the_labels():
    from sklearn.metrics import roc_auc_score

    split = toy()
    det = detectors.build("supervised", seed=0).fit(split)
    assert roc_auc_score(split.y_test, det.score_samples(split, "test")) > 0.95
    assert "20 labelled anomalies" in det.describe()


def test_memae_devnet_trains_memae_then_a_head_on_its_frozen_codes():
    from sklearn.metrics import roc_auc_score

    split = toy()
    det = detectors.build("memae_devnet", seed=0).with_params(epochs=3).fit(split)
    scores = det.score_samples(split, "test")
    assert roc_auc_score(split.y_test, scores) > 0.7  # from 2 frozen codes of 6 features
    assert det.autoencoder_.epochs_run_ == 3 and det.devnet_.encoder_.trainable is False
    again = detectors.build("memae_devnet", seed=0).with_params(epochs=3).fit(split)
    assert np.array_equal(scores, again.score_samples(split, "test"))


@pytest.mark.parametrize("width, hidden, latent", [(9, 5, 2), (21, 11, 5), (3, 2, 2), (40, 20, 10)])
def test_table_models_are_sized_to_the_input_and_the_bottleneck_is_narrower(width, hidden, latent):
    for name in ("tab_dense", "tab_vae", "tab_memae"):
        arch = architectures.get(name).sized(width)
        assert arch.encoder_units == (hidden, latent) and arch.latent_dim < width
        ae = architectures.build_autoencoder(architectures.get(name), width)
        assert ae.predict(np.zeros((3, width), "float32"), verbose=0).shape == (3, width)
    with pytest.raises(ValueError, match="at least 3 input features"):
        architectures.get("tab_dense").sized(2)
    assert architectures.get("kit_dense").sized(7) is architectures.get("kit_dense")


def test_the_vae_is_compared_by_reconstruction_error_and_negative_elbo():
    split = toy()
    vae = detectors.build("tab_vae", seed=0, epochs=3, batch_size=256).fit(split)
    dense = detectors.build("tab_dense", seed=0, epochs=2, batch_size=256).fit(split)
    table = scoring.elbo_table({"tab_vae": vae, "tab_dense": dense}, split, "val")
    assert list(table.index) == [("tab_vae", "reconstruction error"), ("tab_vae", "negative ELBO")]
    assert table["val ROC-AUC"].between(0, 1).all()
    assert scoring.elbo_table({"tab_dense": dense}, split).empty


def test_tuning_sweeps_memae_memory_sizes_and_refuses_it_for_other_models():
    grid = {"learning_rate": (1e-2,), "weight_decay": (0.0,), "epochs": (1,), "batch_size": (256,),
            "memory": (10, 20)}
    assert [c["memory"] for c in tuning.combinations(grid)] == [10, 20]
    assert tuning.setting_keys(grid)[-1] == "memory"
    split = plain_split()
    res = tuning.run(["tab_memae"], grid, split, seed=0)
    assert res["memory"].tolist() == [10, 20] and res["val ROC-AUC"].between(0, 1).all()
    with pytest.raises(ValueError, match="tab_dense has no memory"):
        tuning.run(["tab_dense"], grid, split, seed=0)
    with pytest.raises(ValueError, match="unknown keys \\['slots'\\]"):
        tuning.combinations({**grid, "slots": (1,)})


def headline_of(split, fitted) -> tuple[pd.DataFrame, dict]:
    from sklearn.metrics import average_precision_score

    rows, scores = {}, {}
    for name, det in fitted.items():
        scores[name] = det.score_samples(split, "test")
        rows[name] = {"kind": det.detector_type,
                      "pr_auc": average_precision_score(split.y_test, scores[name]),
                      "val_pr_auc": average_precision_score(split.y_val, det.score_samples(split, "val"))}
    return pd.DataFrame(rows).T, scores


def test_the_answers_name_both_questions_with_their_noise():
    split = toy(seed=1)
    fitted = {n: detectors.build(n, seed=0).fit(split) for n in ("pca", "supervised", "devnet")}
    headline, scores = headline_of(split, fitted)
    text = few_labels.answers(headline, split, scores)
    assert text.startswith("Do 20 labelled anomalies beat the unsupervised detectors?")
    assert "Does DevNet beat a plain classifier given the same 20 labels?" in text
    assert text.count("95% interval of the gap") == 3
    assert few_labels.unsupervised(headline) == ["pca"]
    only = headline.loc[["pca"]]
    assert "no detector of one of the two kinds" in few_labels.answers(only, split, scores)


def test_the_submission_is_scored_by_the_leaderboard(tmp_path):
    split = toy()
    fitted = {n: detectors.build(n, seed=0).fit(split) for n in ("pca", "supervised")}
    headline, scores = headline_of(split, fitted)
    cfg = SimpleNamespace(run_dir=tmp_path / "run", dataset="thyroid")
    text = few_labels.submit(cfg, split, headline, scores)
    best = few_labels.best_by_validation(headline, headline.index)
    assert f"from {best}" in text and "--run-dir" in text
    written = leaderboard.read_submission(tmp_path / "run" / "submission.csv", split.test_ids)
    assert np.array_equal(written.to_numpy(), scores[best])
    figures = leaderboard.score(tmp_path / "run" / "submission.csv", split.test_ids, split.y_test)
    from sklearn.metrics import roc_auc_score
    assert figures["roc_auc"] == pytest.approx(roc_auc_score(split.y_test, scores[best]))


def test_the_label_curve_keeps_the_unlabelled_rows_and_adds_labels(tmp_path):
    cfg = SimpleNamespace(dataset="thyroid", options={}, seed=42, quick=True, threads=2)
    opts = datasets.check_options("thyroid", {})
    split = datasets.split("thyroid", datasets.load("thyroid", 42), 42, options=opts)
    scaler = preprocessing.fit_scaler(split.X_train)
    split = preprocessing.scale_split(split, scaler)
    curve = few_labels.label_curve(cfg, scaler, split, names=("supervised",),
                                   counts=(5, 30, 60, 10_000))
    assert curve["labelled anomalies"].tolist() == [5, 30, 60]  # 10,000: more than the data has
    assert curve.attrs["left out"] == [10_000] and "Left out: 10000" in few_labels.curve_text(curve)
    assert curve["pr_auc"].between(0, 1).all()
    fewer = few_labels.splits_with_labels(cfg, scaler, split, (5,))[5]
    assert np.array_equal(fewer.X_train, split.X_train) and len(fewer.X_labelled) == 5
    assert {tuple(r) for r in fewer.X_labelled} <= {tuple(r) for r in split.X_labelled}


def test_seed_004s_accuracy_is_shown_beside_what_calling_all_normal_scores():
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    headline = pd.DataFrame({"accuracy": [0.9, 0.95], "tn": [90, 88], "fp": [0, 2], "fn": [10, 3],
                             "tp": [0, 7], "pr_auc": [0.1, 0.7]}, index=["all normal", "good"])
    table = pitfalls.accuracy_table(headline, y)
    assert table.loc["all normal", "balanced accuracy"] == 0.5
    assert table.loc["good", "balanced accuracy"] == pytest.approx((88 / 90 + 0.7) / 2)
    assert table.loc["good", "accuracy gain"] == pytest.approx(0.05)
    text = pitfalls.accuracy_text(table)
    assert "0.893" in text and "calling every test row normal scores 0.900" in text
    assert "1 of 2 detectors are no more accurate than that (all normal)" in text
