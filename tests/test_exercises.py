"""The checks behind the notebooks' graded exercises (helpers/exercises.py): each passes on a
correct solution and fails, with a message that names the mistake, on the typical wrong ones.
The models are tiny and the data small."""
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from helpers import exercises, hidden_checks, reproducibility
from helpers.datasets.base import Split
from helpers.datasets.series import raw_from_frame, split_series

ROOT = Path(__file__).resolve().parent.parent


# -- data ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tabular():
    """Standardised-looking rows: 600 normal training rows, validation with 15 anomalies."""
    rng = np.random.default_rng(0)
    normal = lambda n: rng.normal(size=(n, 6)).astype("float32")  # noqa: E731
    X_val = np.r_[normal(150), normal(15) + 4]
    return Split(X_train=normal(600), X_val=X_val, y_val=np.r_[np.zeros(150, int), np.ones(15, int)],
                 X_test=np.r_[normal(190), normal(10) + 4],
                 y_test=np.r_[np.zeros(190, int), np.ones(10, int)],
                 train_anomaly_share=0.02)


@pytest.fixture(scope="module")
def series():
    """One series of 1,500 hourly points with anomalous runs in each part; windows of 8."""
    n = 1500
    rng = np.random.default_rng(1)
    value = np.sin(np.arange(n) / 24 * 2 * np.pi) + rng.normal(0, 0.1, n)
    y = np.zeros(n, int)
    for a in (300, 1000, 1350):
        y[a:a + 12] = 1
        value[a:a + 12] += 3
    frame = pd.DataFrame({"series": "s", "timestamp": pd.date_range("2020-01-01", periods=n, freq="h")
                          .strftime("%Y-%m-%d %H:%M:%S"), "value": value, "is_anomaly": y})
    return split_series(raw_from_frame(frame, "test series"), window=8, train_stride=2)


# -- reference solutions and typical mistakes ----------------------------------------------------
def keras():
    return reproducibility.keras()


def encoder_ok(input_dim, latent_dim):
    k = keras()
    x = k.Input((input_dim,))
    h = k.layers.Dense((input_dim + latent_dim) // 2, activation="relu")(x)
    return k.Model(x, k.layers.Dense(latent_dim)(h))


def encoder_sequential(input_dim, latent_dim):
    k = keras()
    return k.Sequential([k.Input((input_dim,)), k.layers.Dense(input_dim, activation="tanh"),
                         k.layers.Dense(latent_dim)])


def encoder_wide_latent(input_dim, latent_dim):  # ignores latent_dim: as wide as twice the input
    k = keras()
    x = k.Input((input_dim,))
    return k.Model(x, k.layers.Dense(2 * input_dim)(k.layers.Dense(input_dim)(x)))


def encoder_wide_hidden(input_dim, latent_dim):  # a hidden layer of 64, wider than 7 inputs
    k = keras()
    x = k.Input((input_dim,))
    return k.Model(x, k.layers.Dense(latent_dim)(k.layers.Dense(64, activation="relu")(x)))


def encoder_one_layer(input_dim, latent_dim):
    k = keras()
    x = k.Input((input_dim,))
    return k.Model(x, k.layers.Dense(latent_dim)(x))


def decoder_ok(latent_dim, output_dim, output_activation):
    k = keras()
    z = k.Input((latent_dim,))
    h = k.layers.Dense((latent_dim + output_dim) // 2, activation="relu")(z)
    return k.Model(z, k.layers.Dense(output_dim, activation=output_activation)(h))


def decoder_activation_layer(latent_dim, output_dim, output_activation):
    k = keras()
    return k.Sequential([k.Input((latent_dim,)), k.layers.Dense(output_dim, activation="relu"),
                         k.layers.Dense(output_dim), k.layers.Activation(output_activation)])


def decoder_always_sigmoid(latent_dim, output_dim, output_activation):
    return decoder_ok(latent_dim, output_dim, "sigmoid")


def decoder_wrong_size(latent_dim, output_dim, output_activation):
    return decoder_ok(latent_dim, output_dim - 1, output_activation)


def activation_ok(X):
    X = np.asarray(X)
    return "sigmoid" if X.min() >= 0 and X.max() <= 1 else "linear"


def compile_and_train_ok(model, split, epochs):
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model.fit(split.X_train, split.X_train, epochs=epochs, batch_size=64, verbose=0,
                     validation_data=(split.X_val_normal, split.X_val_normal))


def trainer(fit=None, validation=None, optimizer="adam", loss="mse", metrics=("mae",), **extra):
    """compile_and_train with one thing changed: the rows it fits on, its validation data, ..."""
    def compile_and_train(model, split, epochs):
        k = keras()
        model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
        X = fit(split) if fit else split.X_train
        val = validation(split) if validation else split.X_val_normal
        kwargs = {"validation_data": (val, val)} if val is not None else {}
        history = model.fit(X, X, epochs=epochs, batch_size=64, verbose=0, **kwargs, **extra)
        assert isinstance(history, k.callbacks.History)
        return history
    return compile_and_train


def threshold_ok(train_scores, val_scores, y_val):
    from sklearn.metrics import precision_recall_curve

    p, r, t = precision_recall_curve(y_val, val_scores)
    f1 = 2 * p * r / np.maximum(p + r, 1e-12)
    return float(t[np.argmax(f1[:-1])])


def scores_ok(y_true, y_pred):
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return {"precision": p, "recall": r, "f1": f}


def sk_scores(swap=False, **kwargs):
    from sklearn.metrics import precision_recall_fscore_support

    def scores(y_true, y_pred):
        a, b = (y_pred, y_true) if swap else (y_true, y_pred)
        p, r, f, _ = precision_recall_fscore_support(a, b, zero_division=0, **kwargs)
        return {"precision": p, "recall": r, "f1": f}
    return scores


def scores_by_hand(y_true, y_pred):
    tp = int(((y_true == 1) & (y_pred == 1)).sum())
    p, r = tp / int((y_pred == 1).sum()), tp / int((y_true == 1).sum())
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r)}


def scores_nan(y_true, y_pred):
    tp = float(((y_true == 1) & (y_pred == 1)).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.float64(tp) / np.float64((y_pred == 1).sum())
        r = np.float64(tp) / np.float64((y_true == 1).sum())
        return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r)}


def fails(match, call, *args, **kwargs):
    with pytest.raises(AssertionError, match=match):
        call(*args, **kwargs)


# -- small helpers ----------------------------------------------------------------------------
def test_check_and_passed(capsys):
    exercises.check(True, "never")
    fails("what is wrong", exercises.check, False, "what is wrong")
    exercises.passed("3.1")
    exercises.passed("3.1", hidden=True)
    assert capsys.readouterr().out.splitlines() == [
        "✓ Exercise 3.1: all visible checks passed", "✓ Exercise 3.1: all hidden checks passed"]


@pytest.mark.parametrize("which", ["tabular", "series"])
def test_poisoned_hides_exactly_the_rows_training_must_not_read(which, request):
    split = request.getfixturevalue(which)
    bad = exercises.poisoned(split)
    assert type(bad) is type(split)
    rows = split.row_labels("val") == 1
    assert rows.any() and (~rows).any()
    assert np.isnan(bad.X_val[rows]).all() and np.isfinite(bad.X_val[~rows]).all()
    assert np.isnan(bad.X_test).all()
    np.testing.assert_array_equal(bad.X_val_normal, split.X_val_normal)
    np.testing.assert_array_equal(bad.X_train, split.X_train)
    assert np.isfinite(split.X_val).all() and np.isfinite(split.X_test).all()  # the original is untouched


@pytest.mark.parametrize("which", ["tabular", "series"])
def test_small_split_keeps_what_the_rows_mean(which, request):
    split = request.getfixturevalue(which)
    small = exercises.small_split(split, rows=100, seed=3)
    assert len(small.X_train) == min(100, len(split.X_train))
    assert small.X_train.shape[1] == split.X_train.shape[1]
    assert 0 < small.y_val.sum() < len(small.y_val) and len(small.y_test) == len(small.X_test)
    normal = {row.tobytes() for row in split.X_val_normal}
    assert all(row.tobytes() in normal for row in small.X_val_normal)
    assert not any(row.tobytes() in normal for row in small.X_val[small.y_val == 1])
    np.testing.assert_array_equal(exercises.small_split(split, 100, 3).X_train, small.X_train)


@pytest.mark.parametrize("which", ["tabular", "series"])
def test_test_set_hidden_fails_on_any_use_and_restores_the_split(which, request):
    split = request.getfixturevalue(which)
    X_test, y_test, labels = split.X_test, split.y_test, split.labels
    uses = [lambda: split.y_test.mean(), lambda: np.asarray(split.y_test), lambda: split.y_test == 1,
            lambda: len(split.X_test), lambda: split.inputs("test")[:3],
            lambda: split.labels_of("test").sum()]
    with exercises.test_set_hidden(split):
        for use in uses:
            fails("the threshold read the test set", use)
        assert len(split.X_val) and len(split.y_val) and len(split.X_train)  # the rest is usable
        if which == "series":
            assert len(split.ts["val_y"]) and split.X_val_normal.shape[1] == split.window
    assert split.X_test is X_test and split.y_test is y_test and split.labels is labels
    with pytest.raises(RuntimeError):
        with exercises.test_set_hidden(split):
            raise RuntimeError("a student's error")
    assert split.X_test is X_test and split.y_test is y_test
    assert split.labels_of("test") is not None and len(split.labels_of("test")) == len(y_test)


# -- exercise 3.1 --------------------------------------------------------------------------------
def test_encoder_checks_pass_on_correct_encoders(tabular, series, capsys):
    for build in (encoder_ok, encoder_sequential):
        exercises.check_encoder(build, tabular, latent_dim=2)
        exercises.check_encoder(build, series, latent_dim=2)
        hidden_checks.check_encoder_cases(build)
    assert "codes of shape (5, 2)" in capsys.readouterr().out


def test_encoder_checks_name_the_mistake(tabular):
    fails("outputs 12 values per row; it must output 2", exercises.check_encoder, encoder_wide_latent,
          tabular, latent_dim=2)
    fails("not a Keras model", exercises.check_encoder, lambda i, l: keras().layers.Dense(l), tabular, 2)
    fails("takes inputs of 5 values; it must take 6", exercises.check_encoder,
          lambda i, l: encoder_ok(i - 1, l), tabular, 2)
    fails("must be narrower than the input", exercises.check_encoder, encoder_ok, tabular, 6)
    fails("wider than its 7 inputs", hidden_checks.check_encoder_cases, encoder_wide_hidden)
    fails("at least one hidden Dense layer", hidden_checks.check_encoder_cases, encoder_one_layer)


# -- exercise 4.1 and 4.2 -------------------------------------------------------------------------
def test_decoder_checks_pass_on_correct_decoders(tabular, series, capsys):
    for build in (decoder_ok, decoder_activation_layer):
        exercises.check_decoder(build, tabular, latent_dim=2)
        exercises.check_decoder(build, series, latent_dim=2)
        hidden_checks.check_decoder_cases(build)
    assert "reconstruction of shape (5, 6)" in capsys.readouterr().out


def test_decoder_checks_name_the_mistake(tabular):
    fails("outputs 5 values per row; it must output 6", exercises.check_decoder, decoder_wrong_size,
          tabular, latent_dim=2)
    fails("activation is 'sigmoid'; it must be the one asked for, 'linear'",
          hidden_checks.check_decoder_cases, decoder_always_sigmoid)
    fails("at least one hidden", hidden_checks.check_decoder_cases,
          lambda l, o, a: keras().Sequential([keras().Input((l,)), keras().layers.Dense(o, activation=a)]))
    fails("wider than its 7 outputs", hidden_checks.check_decoder_cases,
          lambda l, o, a: keras().Sequential([keras().Input((l,)), keras().layers.Dense(64),
                                              keras().layers.Dense(o, activation=a)]))


def test_output_activation_checks(tabular, series, capsys):
    exercises.check_output_activation(activation_ok, tabular.X_train)
    exercises.check_output_activation(activation_ok, series.X_train)  # min-max scaled windows
    hidden_checks.check_output_activation_cases(activation_ok)
    out = capsys.readouterr().out
    assert "-> 'linear'" in out and "-> 'sigmoid'" in out
    fails("so the answer is 'linear'", exercises.check_output_activation, lambda X: "sigmoid",
          tabular.X_train)  # seed 001: a sigmoid on standardised data
    for wrong in (lambda X: "sigmoid" if 0 <= np.mean(X) <= 1 else "linear",
                  lambda X: "sigmoid" if np.asarray(X)[0].min() >= 0 and np.asarray(X)[0].max() <= 1
                  else "linear",
                  lambda X: "sigmoid" if np.asarray(X).min() > 0 and np.asarray(X).max() < 1 else "linear"):
        fails("expected '(sigmoid|linear)'", hidden_checks.check_output_activation_cases, wrong)


# -- exercise 5.1 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["tabular", "series"])
def test_compile_and_train_checks_pass_on_a_correct_solution(which, request, capsys):
    split = request.getfixturevalue(which)
    exercises.check_compile_and_train(compile_and_train_ok, split, seed=1, rows=300)
    hidden_checks.check_compile_and_train_data(compile_and_train_ok, split, seed=1, rows=300)
    assert "validation loss" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (trainer(fit=lambda s: s.X_val), "the training loss became NaN"),  # anomalies included
    (trainer(fit=lambda s: np.r_[s.X_train, s.X_test]), "the training loss became NaN"),
    (trainer(validation=lambda s: s.X_test), "the validation loss became NaN"),
    (trainer(validation=lambda s: s.X_val), "the validation loss became NaN"),
    (trainer(validation=lambda s: None, validation_split=0.2), "not the model's MSE on split.X_val_normal"),
])
def test_compile_and_train_data_check_catches_the_wrong_rows(tabular, wrong, match):
    fails(match, hidden_checks.check_compile_and_train_data, wrong, tabular, seed=1, rows=300)


@pytest.mark.parametrize("wrong, match", [
    (trainer(optimizer="sgd"), "compile with Adam"),
    (trainer(loss="mae", metrics=("mse",)), "the loss is not the mean squared error"),
    (trainer(metrics=()), "no metric is the mean absolute error"),
    (lambda m, s, e: trainer()(m, s, e).history, "return what `model.fit"),
    (lambda m, s, e: trainer()(m, s, 1), "trained 1 epoch"),
])
def test_compile_and_train_check_names_the_mistake(tabular, wrong, match):
    fails(match, exercises.check_compile_and_train, wrong, tabular, seed=1, rows=300)


def test_the_tiny_models_are_seeded():
    a, b = exercises.tiny_autoencoder(6, seed=4), exercises.tiny_autoencoder(6, seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert exercises.tiny_encoder(6, 2).output_shape == (None, 2)


# -- exercise 6.1 ---------------------------------------------------------------------------------
def test_threshold_checks_pass_on_best_f1(toy_scores, tabular, capsys):
    train, val, y_val = toy_scores
    with exercises.test_set_hidden(tabular):
        thr = threshold_ok(train, val, y_val)
    exercises.check_threshold(thr, val, y_val)
    exercises.check_threshold(np.float32(thr), val, y_val)
    hidden_checks.check_threshold_cases(threshold_ok)
    assert "anomalous validation scores" in capsys.readouterr().out


def test_threshold_checks_name_the_mistake(toy_scores, tabular):
    train, val, y_val = toy_scores

    def reads_the_test_set(train_scores, val_scores, y_val):  # "tuned" with the test labels
        return float(np.quantile(val_scores, 1 - tabular.y_test.mean()))

    with pytest.raises(AssertionError, match="the threshold read the test set"):
        with exercises.test_set_hidden(tabular):
            reads_the_test_set(train, val, y_val)
    fails("the best threshold on these scores gives", exercises.check_threshold,
          np.quantile(val[y_val == 0], 0.3), val, y_val)  # flags 70% of the normal rows
    fails("flags none of the 50 anomalous validation scores", exercises.check_threshold, 100.0, val, y_val)
    fails("return one finite number", exercises.check_threshold, float("inf"), val, y_val)
    fails("return one number", exercises.check_threshold, np.array([1.0, 2.0]), val, y_val)
    fails("a threshold in \\(1, 2\\] separates them", hidden_checks.check_threshold_cases,
          lambda t, v, y: float(np.max(t)))  # the largest training score: no labels used
    fails("the best threshold gives", hidden_checks.check_threshold_cases,
          lambda t, v, y: threshold_ok(t, v, y) if v[y == 0].max() < v[y == 1].min() else float(np.max(t)))


def test_best_f1_is_the_best_over_every_threshold():
    rng = np.random.default_rng(5)
    for _ in range(20):
        y = (rng.random(60) < 0.2).astype(int)
        y[:2] = 0, 1
        scores = np.round(rng.normal(size=60) + y, 1)  # ties included
        assert exercises.best_f1(scores, y) == pytest.approx(
            max(exercises._f1(scores, y, t) for t in np.unique(scores)))


# -- exercise 7.1 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["tabular", "series"])
def test_anomaly_scores_checks_pass_on_the_anomaly_class(which, request, capsys):
    split = request.getfixturevalue(which)
    y = np.asarray(split.y_test)
    scores = np.random.default_rng(0).random(len(y)) + y * 0.6
    exercises.check_anomaly_scores(scores_ok, y, scores, 0.9)
    hidden_checks.check_anomaly_scores_cases(scores_ok)
    hidden_checks.check_anomaly_scores_cases(sk_scores(average="binary", pos_label=1))
    assert "the same as helpers.metrics" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (sk_scores(swap=True, average="binary"), "swapped"),
    (sk_scores(average="micro"), "micro-averaged"),
    (sk_scores(average="macro"), "macro-averaged"),
    (sk_scores(average="weighted"), "weighted-average"),
    (sk_scores(average="binary", pos_label=0), "the normal class's"),
    (sk_scores(average=None), "one per class"),
    (scores_by_hand, "divided by zero"),
    (scores_nan, "the convention is 0.0"),
    (lambda t, p: (1.0, 1.0, 1.0), "return a dict"),
    (lambda t, p: {"precision": 1.0, "recall": 1.0}, "has no \\['f1'\\]"),
])
def test_anomaly_scores_checks_name_the_mistake(wrong, match):
    fails(match, hidden_checks.check_anomaly_scores_cases, wrong)


def test_anomaly_scores_visible_check_names_swapped_arguments(tabular):
    y = np.asarray(tabular.y_test)
    scores = np.r_[np.linspace(0, 1, 190), np.linspace(0.5, 1.5, 10)]
    fails("swapped", exercises.check_anomaly_scores, sk_scores(swap=True, average="binary"), y, scores, 0.8)
    fails("micro-averaged", exercises.check_anomaly_scores, sk_scores(average="micro"), y, scores, 0.8)


# -- the notebooks' own solutions pass their hidden checks -------------------------------------------
def solution_cells():
    found = {}
    for path in sorted((ROOT / "notebooks").glob("0[3-7]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                found[meta["grade_id"]] = cell.source
    return found


def solution(name):
    """The function ``name`` as a notebook's solution cell defines it."""
    for source in solution_cells().values():
        if re.search(rf"^def {name}\(", source, re.M):
            namespace = {}
            exec(compile(source, name, "exec"), namespace)  # noqa: S102
            return namespace[name]
    raise AssertionError(f"no solution cell defines {name}")


def test_the_notebooks_solutions_pass_the_hidden_checks(tabular, series):
    hidden_checks.check_encoder_cases(solution("build_encoder"))
    hidden_checks.check_decoder_cases(solution("build_decoder"))
    hidden_checks.check_output_activation_cases(solution("output_activation_for"))
    hidden_checks.check_compile_and_train_data(solution("compile_and_train"), series, seed=2, rows=300)
    hidden_checks.check_threshold_cases(solution("choose_threshold"))
    hidden_checks.check_anomaly_scores_cases(solution("anomaly_class_scores"))
