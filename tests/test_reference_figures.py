"""The committed reference figures and what a run's summary says about them."""
import pandas as pd
import pytest

from helpers import cpu_level, datasets, reference_figures, runner


def _metrics(changes: dict | None = None) -> pd.DataFrame:
    rows = []
    for model, auc in (("kit_dense", 0.91234), ("pca", 0.8)):
        for method in ("best_f1", "mean_3std"):
            rows.append(dict(dataset="synthetic", model=model, threshold_method=method,
                             chosen=method == "best_f1", roc_auc=auc, pr_auc=0.5, precision=0.4,
                             recall=0.6, f1=0.48, tp=6, fp=9, fn=4, data_source="generated",
                             exact=cpu_level.LEVEL, quick=False))
    df = pd.DataFrame(rows)
    for (model, col), value in (changes or {}).items():
        df.loc[df["model"] == model, col] = value
    return df


@pytest.fixture
def reference(tmp_path):
    path = tmp_path / "reference.csv"
    metrics = tmp_path / "metrics.csv"
    _metrics().to_csv(metrics, index=False)
    reference_figures.update(metrics, path)
    return path


def test_the_reference_keeps_the_chosen_rows_only(reference):
    ref = pd.read_csv(reference)
    assert list(ref["model"]) == ["kit_dense", "pca"] and set(ref["threshold_method"]) == {"best_f1"}


def test_identical_figures_say_so(reference):
    text = reference_figures.verdict(_metrics(), True, False, reference)
    assert text.startswith("Reference figures: identical to the reference figures (2 chosen rows")


def test_a_differing_row_is_named_with_its_figures_and_the_gap(reference):
    text = reference_figures.verdict(_metrics({("kit_dense", "roc_auc"): 0.9}), True, False, reference)
    assert "1 of 2 chosen rows differ" in text
    assert "synthetic / kit_dense / best_f1: roc_auc 0.9 (reference 0.9123, -0.0123)" in text
    assert "pca" not in text.split("differ")[1]


def test_a_missing_or_extra_detector_is_a_difference(reference):
    extra = pd.concat([_metrics(), _metrics()[lambda d: d["model"] == "pca"].assign(model="mahalanobis")],
                      ignore_index=True)
    assert "mahalanobis / best_f1: not in the reference" in reference_figures.verdict(extra, True, False, reference)
    fewer = _metrics()[lambda d: d["model"] != "pca"]
    assert "pca / best_f1: in the reference, not in this run" in reference_figures.verdict(fewer, True, False, reference)


@pytest.mark.parametrize("kwargs, reason", [
    (dict(quick=True), "a quick run"),
    (dict(default_settings=False), "settings differ from the defaults"),
])
def test_runs_unlike_the_reference_run_are_not_compared(reference, kwargs, reason):
    args = dict(default_settings=True, quick=False) | kwargs
    text = reference_figures.verdict(_metrics(), args["default_settings"], args["quick"], reference)
    assert text.startswith("Reference figures: not compared, because") and reason in text


def test_figures_made_with_the_cpus_own_code_or_other_data_are_not_compared(reference):
    own = _metrics({("kit_dense", "exact"): "off"})
    assert "not made at level AVX2 (the exact column says AVX2, off" in \
        reference_figures.verdict(own, True, False, reference)
    other = _metrics().assign(data_source="my file")
    assert "every dataset ran on other data than the reference" in \
        reference_figures.verdict(other, True, False, reference)
    both = pd.concat([_metrics(), _metrics().assign(dataset="mnist")], ignore_index=True)
    text = reference_figures.verdict(both, True, False, reference)  # mnist is not in it: new data
    assert "identical to the reference figures (2 chosen rows" in text or "mnist" in text


def test_only_a_full_run_at_the_level_can_become_the_reference(tmp_path):
    metrics = tmp_path / "metrics.csv"
    _metrics().assign(quick=True).to_csv(metrics, index=False)
    with pytest.raises(ValueError, match="quick run"):
        reference_figures.update(metrics, tmp_path / "ref.csv")
    _metrics().assign(exact="off").to_csv(metrics, index=False)
    with pytest.raises(ValueError, match="not made at level AVX2"):
        reference_figures.update(metrics, tmp_path / "ref.csv")


def test_the_committed_reference_covers_every_dataset_at_its_chosen_threshold():
    ref = reference_figures.load()
    assert set(ref["dataset"]) == set(datasets.default_names())
    for ds, rows in ref.groupby("dataset"):
        assert set(rows["threshold_method"]) == {datasets.spec(ds).threshold}
    assert set(ref["exact"]) == {cpu_level.LEVEL}


def test_a_run_with_the_cpus_own_code_gets_a_folder_of_its_own():
    assert runner.run_name("synthetic", False, {}) == "synthetic"
    assert runner.run_name("synthetic", False, {}, exact=False).startswith("synthetic-")


def test_a_run_of_some_datasets_updates_only_their_reference_rows(reference, tmp_path):
    other = tmp_path / "other.csv"
    _metrics().assign(dataset="thyroid", roc_auc=0.7).to_csv(other, index=False)
    reference_figures.update(other, reference)
    again = tmp_path / "again.csv"
    _metrics().assign(dataset="thyroid", roc_auc=0.6).to_csv(again, index=False)
    reference_figures.update(again, reference)
    ref = pd.read_csv(reference)
    assert sorted(ref["dataset"]) == ["synthetic", "synthetic", "thyroid", "thyroid"]
    assert set(ref.query("dataset == 'thyroid'")["roc_auc"]) == {0.6}
    assert set(ref.query("dataset == 'synthetic'")["roc_auc"]) == {0.9123, 0.8}


def test_a_run_on_jax_is_held_against_the_tensorflow_reference_and_cannot_replace_it(reference, tmp_path):
    on_jax = _metrics({("kit_dense", "roc_auc"): 0.9}).assign(backend="jax")
    text = reference_figures.verdict(on_jax, True, False, reference)
    assert text.startswith("Reference figures (made on tensorflow; this run used jax, so what "
                           "differs is the backends' doing): 1 of 2 chosen rows differ")
    assert "synthetic / kit_dense / best_f1: roc_auc 0.9 (reference 0.9123, -0.0123)" in text
    on_jax.to_csv(tmp_path / "jax.csv", index=False)
    with pytest.raises(ValueError, match="made on jax; the reference is made on tensorflow"):
        reference_figures.update(tmp_path / "jax.csv", reference)
