import pytest

from helpers import paths
from helpers.checks import ParameterError, check_choices, check_fraction
from helpers.params import configure


@pytest.fixture
def tmp_path(tmp_path, monkeypatch):
    """A run folder under a build folder of its own (run folders must be under build/)."""
    monkeypatch.setenv("ANOMALY_KIT_BUILD", str(tmp_path / "build"))
    return tmp_path / "build" / "run"


def test_defaults_are_valid(tmp_path):
    cfg = configure(run_dir=str(tmp_path))
    assert cfg.dataset == "synthetic"
    assert cfg.models == ["seed_simple", "seed_deep", "kit_dense"]
    assert cfg.epochs == 60 and not cfg.quick and cfg.threshold == "best_f1"


def test_dataset_defaults(tmp_path):
    cfg = configure(dataset="mnist", run_dir=str(tmp_path))
    assert cfg.threshold == "closest_to_corner" and cfg.epochs == 40
    assert "mnist_conv" in cfg.models and "kit_dense" not in cfg.models


@pytest.mark.parametrize("kwargs, names", [
    (dict(dataset="mnits"), ["'mnits'", "'synthetic'"]),
    (dict(models=["kit_dense", "bogus"]), ["'bogus'", "'kit_dense'", "'seed_deep'"]),
    (dict(threshold="magic"), ["'magic'", "'best_f1'", "'max_train'"]),
    (dict(epochs=0), ["epochs=0", ">= 1"]),
    (dict(epochs=2.5), ["epochs=2.5"]),
    (dict(seed=-1), ["seed=-1"]),
    (dict(threads=0), ["threads=0"]),
    (dict(seeds=0), ["seeds=0", ">= 1"]),
    (dict(quick="yes"), ["quick='yes'", "True or False"]),
    (dict(models=[]), ["models=[]", "at least one"]),
    (dict(run_dir=""), ["run_dir=''"]),
    (dict(dataset="mnist", models=["kit_dense"]), ["'kit_dense'", "'mnist_conv'"]),
    (dict(options=[1]), ["options=[1]"]),
    (dict(options={"test_digit": 4}), ["test_digit", "synthetic"]),
])
def test_bad_parameters_name_the_value_and_the_valid_ones(kwargs, names):
    with pytest.raises(ParameterError) as err:
        configure(**kwargs)
    for name in names:
        assert name in str(err.value)


def test_a_full_run_trains_three_seeds_and_a_quick_one_one(tmp_path):
    assert configure(run_dir=str(tmp_path)).seeds == 3
    assert configure(quick=True, run_dir=str(tmp_path)).seeds == 1
    assert configure(quick=True, seeds=2, run_dir=str(tmp_path)).seeds == 2


def test_a_full_run_trains_one_model_per_thread_at_once_and_a_quick_one_in_the_kernel(tmp_path):
    assert configure(run_dir=str(tmp_path)).jobs == 2
    assert configure(threads=3, run_dir=str(tmp_path)).jobs == 3
    assert configure(quick=True, threads=3, run_dir=str(tmp_path)).jobs == 1


def test_quick_mode_caps_epochs(tmp_path):
    assert configure(quick=True, epochs=50, run_dir=str(tmp_path)).epochs == 2


def test_models_accepts_a_comma_separated_string(tmp_path):
    cfg = configure(models="kit_dense, seed_deep,kit_dense", run_dir=str(tmp_path))
    assert cfg.models == ["kit_dense", "seed_deep"]


def test_relative_run_dir_is_relative_to_the_kit():
    cfg = configure(run_dir="build/elsewhere")
    assert cfg.run_dir == (paths.project_root() / "build" / "elsewhere").resolve()


@pytest.mark.parametrize("run_dir", ["/etc", "../..", "build/../..", "notebooks", "build", "/tmp"])
def test_a_run_folder_outside_build_is_refused(run_dir):
    with pytest.raises(ParameterError, match="not a place for a run") as err:
        configure(run_dir=run_dir)
    assert "run_dir=None" in str(err.value)


def test_nothing_outside_a_kit_run_is_deleted(tmp_path):
    from helpers.runstate import RunState

    precious = tmp_path.parent.parent / "mine"  # outside build/
    (precious / "state").mkdir(parents=True)
    for name in ("state/precious.txt", "metrics.csv", "tuning.csv"):
        (precious / name).write_text("keep me")
    with pytest.raises(ParameterError, match="not a place for a run"):
        configure(run_dir=str(precious))
    cfg = configure(run_dir=str(tmp_path))
    cfg.run_dir = precious  # even a configuration made by hand cannot start a run there
    with pytest.raises(ParameterError):
        RunState.start(cfg)
    assert all((precious / n).read_text() == "keep me"
               for n in ("state/precious.txt", "metrics.csv", "tuning.csv"))


def test_a_kit_made_run_folder_may_live_anywhere(tmp_path):
    from helpers.runstate import RunState

    elsewhere = tmp_path.parent.parent / "course-runs" / "synthetic"
    paths.mark_run_dir(elsewhere)  # as the runner does for its --out folder
    cfg = configure(run_dir=str(elsewhere))
    RunState.start(cfg)
    assert (elsewhere / "state" / "run.json").exists()


def test_check_helpers():
    assert check_choices("x", "a,b", ["a", "b"]) == ["a", "b"]
    with pytest.raises(ParameterError, match="between 0.0 and 1.0"):
        check_fraction("variance", 1.5)
