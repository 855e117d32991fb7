import numpy as np
import pytest

from helpers.params import configure
from helpers.runstate import MissingStepError, RunMismatchError, RunState


def test_opening_before_01_names_the_notebook_to_run(cfg):
    with pytest.raises(MissingStepError, match="notebooks/01_import.ipynb"):
        RunState.open(cfg)


def test_missing_artifact_names_its_notebook(cfg):
    state = RunState.start(cfg)
    with pytest.raises(MissingStepError) as err:
        state.load_arrays("split")
    assert "notebooks/02_load.ipynb" in str(err.value)
    assert "dataset='synthetic'" in str(err.value)
    with pytest.raises(MissingStepError, match="05_compile"):
        state.load_model("trained", "kit_dense")


def test_round_trip_and_fresh_start(cfg):
    state = RunState.start(cfg)
    state.save_arrays("split", {"a": np.arange(3)}, key="m")
    state.save_json("recipe", {"x": 1.5})
    state.save_object("scaler", {"k": 2})
    again = RunState.open(cfg)
    np.testing.assert_array_equal(again.load_arrays("split", key="m")["a"], np.arange(3))
    assert again.load_json("recipe") == {"x": 1.5}
    assert again.load_object("scaler") == {"k": 2}
    assert not list(state.state_dir.glob(".*tmp*"))  # no temporary files left
    (cfg.run_dir / "metrics.csv").write_text("old")
    RunState.start(cfg)  # a new run forgets the old results, the report's table included
    assert not (cfg.run_dir / "metrics.csv").exists()
    with pytest.raises(MissingStepError):
        RunState.open(cfg).load_json("recipe")


def test_parameters_must_match_the_run(cfg, tmp_path):
    RunState.start(cfg)
    other = configure(dataset="synthetic", seed=2, epochs=3, run_dir=str(cfg.run_dir))
    with pytest.raises(RunMismatchError, match="seed=2 here but 1 in the run"):
        RunState.open(other)
    other = configure(dataset="synthetic", seed=1, epochs=3, threshold="max_train",
                      run_dir=str(cfg.run_dir))
    with pytest.raises(RunMismatchError, match="threshold='max_train' here but 'best_f1'"):
        RunState.open(other)  # the report applies the threshold method 06 was run with


def test_unknown_artifact(cfg):
    with pytest.raises(KeyError, match="known"):
        RunState.start(cfg).save_json("bogus", {})


def test_a_run_started_on_one_backend_is_not_continued_on_the_other(cfg, monkeypatch):
    RunState.start(cfg)
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    with pytest.raises(RunMismatchError, match="Keras runs on jax here but on tensorflow in the run"):
        RunState.open(cfg)
