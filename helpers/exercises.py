"""The checks behind the graded exercises of notebooks 03 to 07.

Each exercise is a function the student writes (``build_encoder``, ``build_decoder``,
``output_activation_for``, ``compile_and_train``, ``choose_threshold``,
``anomaly_class_scores``). Its test cell calls a *visible* check here on this run's
data, and, in a block that nbgrader removes from student copies and restores when
grading, a *hidden* check on other sizes or crafted cases. A check that fails raises
``AssertionError`` with a message that says what is wrong and what would be right;
``passed`` prints the line that says a cell's checks passed.

The exercises are additional to the kit's pipeline: the notebooks never use what a
student writes, and the checks never change the run's data (``test_set_hidden``
restores the split it hides).

Tools for the checks, usable on their own:

- ``tiny_encoder`` and ``tiny_autoencoder``: small seeded Keras models;
- ``small_split``: a few thousand rows of a split, enough to train on in seconds;
- ``poisoned``: a copy of a split whose anomalous validation rows and test rows are
  NaN, so that training on them shows in the loss;
- ``test_set_hidden``: a context manager in which any use of the test set fails.
"""
from __future__ import annotations

import contextlib
from dataclasses import replace

import numpy as np

from . import metrics, reproducibility
from .datasets.base import Split


def check(condition, message: str) -> None:
    """Raise ``AssertionError(message)`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def passed(exercise: str, hidden: bool = False) -> None:
    """Print the line that closes a test cell whose checks all passed."""
    print(f"✓ Exercise {exercise}: all {'hidden' if hidden else 'visible'} checks passed")


# -- models -------------------------------------------------------------------------------
def _model(result, call: str):
    """``result`` if it is a Keras model with one flat input and one flat output."""
    keras = reproducibility.keras()
    check(isinstance(result, keras.Model),
          f"{call} returned {type(result).__name__}, not a Keras model: end the function with "
          "`return keras.Model(inputs, outputs)`")
    try:
        shapes = (tuple(result.input_shape), tuple(result.output_shape))
    except (AttributeError, ValueError, TypeError):
        shapes = None
    check(shapes is not None and all(len(s) == 2 and isinstance(s[1], int) for s in shapes),
          f"{call} is not a model with one input of shape (rows, values) and one output of that "
          "kind: build it from `keras.Input((size,))` through Dense layers")
    return result


def _layers(model) -> list:
    """Every layer of ``model`` in order, nested models opened, without input layers."""
    keras = reproducibility.keras()
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _layers(layer)
        elif layer.__class__.__name__ != "InputLayer":
            out.append(layer)
    return out


def _dense(model) -> list:
    keras = reproducibility.keras()
    return [layer for layer in _layers(model) if isinstance(layer, keras.layers.Dense)]


def _output_activation(model) -> str:
    """The name of the activation the model's output passes through last (a Dense
    layer's own, or a separate Activation layer's)."""
    for layer in reversed(_layers(model)):
        if hasattr(layer, "activation"):
            return getattr(layer.activation, "__name__", str(layer.activation))
    return "linear"


def _check_shapes(model, call: str, n_in: int, n_out: int) -> None:
    check(model.input_shape[1] == n_in,
          f"{call} takes inputs of {model.input_shape[1]} values; it must take {n_in}: start "
          f"from `keras.Input(({n_in},))`")
    check(model.output_shape[1] == n_out,
          f"{call} outputs {model.output_shape[1]} values per row; it must output {n_out}: "
          f"make its last layer `Dense({n_out}, ...)`")


def tiny_encoder(input_dim: int, latent_dim: int, seed: int = 0):
    """A one-layer encoder, seeded: ``Input(input_dim) -> Dense(latent_dim, relu)``."""
    keras = reproducibility.keras()
    inputs = keras.Input((input_dim,), name="input")
    latent = keras.layers.Dense(latent_dim, activation="relu", name="latent",
                                kernel_initializer=keras.initializers.GlorotUniform(seed))(inputs)
    return keras.Model(inputs, latent, name="tiny_encoder")


def tiny_autoencoder(input_dim: int, seed: int = 0, latent_dim: int = 8):
    """A small uncompiled autoencoder, seeded: ``input -> Dense(latent_dim, relu) ->
    Dense(input_dim)``, for training checks that take seconds."""
    keras = reproducibility.keras()
    inputs = keras.Input((input_dim,), name="input")
    init = keras.initializers.GlorotUniform
    x = keras.layers.Dense(min(latent_dim, input_dim), activation="relu", name="latent",
                           kernel_initializer=init(seed))(inputs)
    outputs = keras.layers.Dense(input_dim, name="reconstruction",
                                 kernel_initializer=init(seed + 1))(x)
    return keras.Model(inputs, outputs, name="tiny_autoencoder")


# -- exercise 3.1: the encoder ----------------------------------------------------------------
def check_encoder(build_encoder, split: Split, latent_dim: int) -> None:
    """``build_encoder(input_dim, latent_dim)`` on this run's input size: a Keras model
    from ``input_dim`` values to ``latent_dim``, narrower, that encodes real rows."""
    input_dim = int(split.X_train.shape[1])
    call = f"build_encoder({input_dim}, {latent_dim})"
    enc = _model(build_encoder(input_dim, latent_dim), call)
    _check_shapes(enc, call, input_dim, latent_dim)
    check(enc.output_shape[1] < enc.input_shape[1],
          f"{call}: the latent ({enc.output_shape[1]}) must be narrower than the input "
          f"({enc.input_shape[1]}), or the network can simply copy its input")
    codes = np.asarray(enc.predict(split.X_train[:5], verbose=0))
    check(codes.shape == (5, latent_dim),
          f"{call} turned 5 rows of split.X_train into shape {codes.shape}; expected (5, {latent_dim})")
    check(np.isfinite(codes).all(), f"{call} gives NaN or infinite codes for real rows")
    print(f"{call}: {input_dim} values in, {latent_dim} out; 5 rows of split.X_train -> "
          f"codes of shape {codes.shape}")


# -- exercise 4.1 and 4.2: the decoder and its output activation --------------------------------
def check_decoder(build_decoder, split: Split, latent_dim: int) -> None:
    """``build_decoder(latent_dim, output_dim, activation)`` on this run's input size:
    from the latent back to one value per input value; chained after an encoder it
    maps rows to rows of the same shape."""
    keras = reproducibility.keras()
    input_dim = int(split.X_train.shape[1])
    enc = tiny_encoder(input_dim, latent_dim)
    for activation in ("linear", "sigmoid"):
        call = f"build_decoder({latent_dim}, {input_dim}, {activation!r})"
        dec = _model(build_decoder(latent_dim, input_dim, activation), call)
        _check_shapes(dec, call, latent_dim, input_dim)
        inputs = keras.Input((input_dim,))
        chained = keras.Model(inputs, dec(enc(inputs)))
        recon = np.asarray(chained.predict(split.X_train[:5], verbose=0))
        check(recon.shape == split.X_train[:5].shape,
              f"an encoder followed by {call} turned 5 rows of split.X_train, shape "
              f"{split.X_train[:5].shape}, into shape {recon.shape}; a reconstruction has the "
              "input's shape")
    print(f"build_decoder({latent_dim}, {input_dim}, ...): latent {latent_dim} -> {input_dim} values; "
          f"after an encoder, 5 rows in -> reconstruction of shape {recon.shape}")


def check_output_activation(output_activation_for, X: np.ndarray) -> None:
    """``output_activation_for(X)`` on this run's training rows."""
    X = np.asarray(X)
    expected = "sigmoid" if X.min() >= 0 and X.max() <= 1 else "linear"
    got = output_activation_for(X)
    check(got == expected,
          f"output_activation_for(split.X_train) returned {got!r}, but this run's training "
          f"values lie in [{X.min():.3g}, {X.max():.3g}], so the answer is {expected!r} (a sigmoid "
          "only outputs values in [0, 1]; anything else needs a linear output)")
    print(f"training values in [{X.min():.3g}, {X.max():.3g}] -> {got!r}")


# -- exercise 5.1: compile and train ----------------------------------------------------------
def small_split(split: Split, rows: int = 2000, seed: int = 0) -> Split:
    """A plain row split of at most ``rows`` training rows, half as many held-out normal
    validation rows, a quarter as many anomalous ones and test rows, drawn from
    ``split``. For a time series the rows are windows, labelled anomalous when they hold
    an anomalous point, so that ``X_val_normal`` means the same as in the full split."""
    rng = np.random.default_rng(seed)

    def some(X, n):
        return X[np.sort(rng.choice(len(X), size=min(n, len(X)), replace=False))]

    val_rows = np.asarray(split.row_labels("val"))
    normal = some(split.X_val[val_rows == 0], rows // 2)
    anomalous = some(split.X_val[val_rows == 1], rows // 4)
    test = np.arange(len(split.X_test))
    test = some(test, rows // 4)
    return Split(
        X_train=some(split.X_train, rows),
        X_val=np.concatenate([normal, anomalous]),
        y_val=np.r_[np.zeros(len(normal), int), np.ones(len(anomalous), int)],
        X_test=split.X_test[test], y_test=np.asarray(split.row_labels("test"))[test],
        train_anomaly_share=split.train_anomaly_share,
        info={"source": f"a sample of {split.info.get('source', 'a split')}"},
    )


def poisoned(split: Split) -> Split:
    """A copy of ``split`` whose anomalous validation rows (for a time series, windows
    holding an anomalous point) and every test row are NaN. Training or validating on
    ``X_train`` and ``X_val_normal`` is unaffected; a model that reads anything else gets
    a NaN loss."""
    def copy(X):
        return np.array(X, dtype=np.result_type(np.asarray(X).dtype, np.float32))

    X_val = copy(split.X_val)
    X_val[np.asarray(split.row_labels("val")) == 1] = np.nan
    X_test = copy(split.X_test)
    X_test[:] = np.nan
    return replace(split, X_val=X_val, X_test=X_test, info=dict(split.info), labels=dict(split.labels))


def _history(history, call: str) -> dict:
    keras = reproducibility.keras()
    check(isinstance(history, keras.callbacks.History),
          f"{call} returned {type(history).__name__}; return what `model.fit(...)` returns "
          "(a Keras History)")
    logs = history.history
    for key in ("loss", "val_loss"):
        check(key in logs,
              f"the history has no {key!r} (it has {sorted(logs)}); train with model.fit and pass "
              "validation_data=(split.X_val_normal, split.X_val_normal)")
    return {k: [float(v) for v in vals] for k, vals in logs.items()}


def _train(compile_and_train, split: Split, seed: int, epochs: int):
    keras = reproducibility.keras()
    keras.utils.set_random_seed(seed)
    model = tiny_autoencoder(int(split.X_train.shape[1]), seed)
    call = f"compile_and_train(model, split, epochs={epochs})"
    return model, _history(compile_and_train(model, split, epochs), call), call


def _mse(model, X) -> float:
    X = np.asarray(X, dtype="float32")
    return float(np.mean((np.asarray(model.predict(X, verbose=0)) - X) ** 2))


def check_compile_and_train(compile_and_train, split: Split, seed: int, epochs: int = 3,
                            rows: int = 2000) -> None:
    """``compile_and_train`` on a tiny fresh autoencoder and a small sample of this run's
    split: a History with ``loss`` and ``val_loss`` for every epoch, a falling loss, the
    Adam optimizer, a mean-squared-error loss and a mean-absolute-error metric."""
    keras = reproducibility.keras()
    model, logs, call = _train(compile_and_train, small_split(split, rows, seed), seed, epochs)
    check(len(logs["loss"]) == epochs,
          f"{call} trained {len(logs['loss'])} epoch(s); pass epochs=epochs to model.fit")
    check(np.isfinite(logs["loss"] + logs["val_loss"]).all(),
          f"{call}: the loss became NaN or infinite ({logs['loss']})")
    check(logs["loss"][-1] < logs["loss"][0],
          f"{call}: the training loss did not fall ({[round(v, 4) for v in logs['loss']]}); train "
          "with the rows as both inputs and targets: model.fit(split.X_train, split.X_train, ...)")
    check(isinstance(model.optimizer, keras.optimizers.Adam),
          f"the optimizer is {type(model.optimizer).__name__}; compile with Adam "
          "(optimizer=keras.optimizers.Adam(learning_rate=1e-3), or 'adam')")
    X = np.asarray(split.X_train[:64], dtype="float32")
    found = model.evaluate(X, X, return_dict=True, verbose=0)
    recon = np.asarray(model.predict(X, verbose=0))
    mse, mae = float(np.mean((recon - X) ** 2)), float(np.mean(np.abs(recon - X)))
    check(np.isclose(found["loss"], mse, rtol=1e-3, atol=1e-7),
          f"the loss is not the mean squared error (it gives {found['loss']:.5g} where the MSE is "
          f"{mse:.5g}); compile with loss='mse'")
    check(any(np.isclose(v, mae, rtol=1e-3, atol=1e-7) for k, v in found.items() if k != "loss"),
          f"no metric is the mean absolute error (metrics: {sorted(k for k in found if k != 'loss')}); "
          "compile with metrics=['mae']")
    print(f"{call} on a tiny autoencoder and {len(split.X_train[:rows]):,} training rows: "
          f"loss {logs['loss'][0]:.4f} -> {logs['loss'][-1]:.4f}, "
          f"validation loss {logs['val_loss'][0]:.4f} -> {logs['val_loss'][-1]:.4f}")


# -- exercise 6.1: the threshold --------------------------------------------------------------
class _Hidden:
    """Stands in for a part of the test set; any use of it fails."""

    def __init__(self, name: str):
        object.__setattr__(self, "_name", name)

    def _fail(self, *args, **kwargs):
        raise AssertionError(f"the threshold read the test set ({object.__getattribute__(self, '_name')}); "
                             "choose it from the training and validation scores only")

    def __getattr__(self, attr):
        self._fail()

    def __repr__(self):
        return f"<{object.__getattribute__(self, '_name')}: hidden while the threshold is chosen>"


for _op in ("__getitem__", "__setitem__", "__len__", "__iter__", "__contains__", "__array__",
            "__bool__", "__float__", "__int__", "__index__", "__eq__", "__ne__", "__lt__", "__le__",
            "__gt__", "__ge__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
            "__truediv__", "__rtruediv__", "__neg__", "__abs__", "__and__", "__or__", "__invert__",
            "__array_ufunc__", "__array_function__", "__setattr__", "__hash__"):
    setattr(_Hidden, _op, _Hidden._fail)


@contextlib.contextmanager
def test_set_hidden(split: Split):
    """Within the block, any use of ``split``'s test set (``X_test``, ``y_test``, the test
    labels and, for a time series, its test points) raises ``AssertionError("the threshold
    read the test set ...")``. The split is restored afterwards, whatever happens."""
    saved = {"X_test": split.X_test, "y_test": split.y_test, "labels": split.labels}
    ts = getattr(split, "ts", None)
    try:
        object.__setattr__(split, "X_test", _Hidden("split.X_test"))
        object.__setattr__(split, "y_test", _Hidden("split.y_test"))
        object.__setattr__(split, "labels", {k: _Hidden(f"split.labels[{k!r}]") if k == "test" else v
                                             for k, v in split.labels.items()})
        if isinstance(ts, dict):
            saved["ts"] = ts
            object.__setattr__(split, "ts", {k: _Hidden(f"split.ts[{k!r}]") if k.startswith("test_")
                                             else v for k, v in ts.items()})
        yield split
    finally:
        for name, value in saved.items():
            object.__setattr__(split, name, value)


test_set_hidden.__test__ = False  # not a pytest test, despite its name


def _number(value, call: str) -> float:
    check(not isinstance(value, (bool, np.bool_)) and np.ndim(value) == 0,
          f"{call} returned {type(value).__name__} {np.shape(value)}; return one number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    check(number is not None and np.isfinite(number),
          f"{call} returned {value!r}; return one finite number")
    return number


def _f1(scores, y, threshold) -> float:
    """The anomaly-class F1 when every score at or above ``threshold`` is flagged."""
    flagged = np.asarray(scores) >= threshold
    tp = int((flagged & (y == 1)).sum())
    return 2 * tp / max(int(flagged.sum()) + int((y == 1).sum()), 1)


def best_f1(scores, y) -> float:
    """The highest anomaly-class F1 any threshold reaches on ``scores`` and labels ``y``."""
    scores, y = np.asarray(scores, dtype=float), np.asarray(y).astype(int)
    order = np.argsort(-scores, kind="stable")
    ranked, tp = scores[order], np.cumsum(y[order])
    ends = np.r_[ranked[1:] != ranked[:-1], True]  # the last score of each run of ties
    flagged = np.arange(1, len(ranked) + 1)[ends]
    return float(np.max(2 * tp[ends] / (flagged + y.sum())))


def check_threshold(threshold, val_scores, y_val, tolerance: float = 0.01) -> None:
    """A threshold (chosen inside ``test_set_hidden``) on this run's validation scores:
    one finite number that flags at least one validation anomaly and whose validation F1
    is the best one there is, within ``tolerance`` (a score at or above it is flagged)."""
    thr = _number(threshold, "choose_threshold")
    scores, y = np.asarray(val_scores, dtype=float), np.asarray(y_val).astype(int)
    flagged = scores >= thr
    normal_share = float(flagged[y == 0].mean())
    caught = int(flagged[y == 1].sum())
    check(caught >= 1,
          f"your threshold {thr:.4g} flags none of the {int((y == 1).sum())} anomalous validation "
          "scores; lower it (choose the one with the highest anomaly-class F1)")
    got, best = _f1(scores, y, thr), best_f1(scores, y)
    check(got >= best - tolerance,
          f"your threshold {thr:.4g} gives a validation F1 of {got:.3f}, but the best threshold on "
          f"these scores gives {best:.3f}: choose the threshold with the highest anomaly-class F1 "
          "(try every validation score as a candidate)")
    print(f"threshold {thr:.4g}: flags {caught:,} of the {int((y == 1).sum()):,} anomalous validation "
          f"scores and {normal_share:.2%} of the normal ones; validation F1 {got:.3f}")


# -- exercise 7.1: the anomaly class's precision, recall and F1 -------------------------------
def _figures(y_true, y_pred, call: str, result) -> dict:
    check(isinstance(result, dict), f"{call} returned {type(result).__name__}; return a dict "
          "{'precision': ..., 'recall': ..., 'f1': ...}")
    missing = [k for k in ("precision", "recall", "f1") if k not in result]
    check(not missing, f"{call} has no {missing} (keys: {sorted(result)}); return a dict with "
          "'precision', 'recall' and 'f1'")
    out = {}
    for key in ("precision", "recall", "f1"):
        value = result[key]
        check(np.ndim(value) == 0,
              f"{call} gives {np.size(value)} values for {key!r}, one per class; give the anomaly "
              "class's only (sklearn: pos_label=1, average='binary')")
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            out[key] = float("nan")
        check(np.isfinite(out[key]),
              f"{call} gives {key} = {value!r}; when its denominator is 0 (no row flagged, or no "
              "anomaly) the convention "
              "is 0.0 (sklearn: zero_division=0)")
    return out


def _diagnosis(got: dict, y_true, y_pred) -> str:
    """Which common mistake gives ``got``, in words ('' if none does)."""
    from sklearn.metrics import precision_recall_fscore_support  # noqa: PLC0415

    def figures(a, b, **kwargs):
        p, r, f, _ = precision_recall_fscore_support(a, b, zero_division=0, **kwargs)
        return {"precision": float(p), "recall": float(r), "f1": float(f)}

    mistakes = {
        "y_true and y_pred are swapped (precision and recall trade places): sklearn takes "
        "(y_true, y_pred) in that order": figures(y_pred, y_true, average="binary"),
        "these are micro-averaged figures (over both classes, they equal the accuracy): use "
        "average='binary', pos_label=1": figures(y_true, y_pred, average="micro"),
        "these are macro-averaged figures (the mean of both classes): use average='binary', "
        "pos_label=1": figures(y_true, y_pred, average="macro"),
        "these are weighted-average figures (dominated by the normal class): use "
        "average='binary', pos_label=1": figures(y_true, y_pred, average="weighted"),
        "these are the normal class's figures (label 0): the anomaly class is label 1, "
        "pos_label=1": figures(y_true, y_pred, average="binary", pos_label=0),
    }
    for words, wrong in mistakes.items():
        if all(np.isclose(got[k], wrong[k], atol=1e-9) for k in got):
            return " — " + words
    return ""


def _compare(got: dict, expected: dict, y_true, y_pred, call: str) -> None:
    wrong = [k for k in ("precision", "recall", "f1") if not np.isclose(got[k], expected[k], atol=1e-9)]
    check(not wrong,
          f"{call} gives " + ", ".join(f"{k} {got[k]:.4f}" for k in got) + "; the anomaly class's "
          "are " + ", ".join(f"{k} {expected[k]:.4f}" for k in got) + _diagnosis(got, y_true, y_pred))


def check_anomaly_scores(anomaly_class_scores, y_true, scores, threshold) -> None:
    """``anomaly_class_scores(y_true, y_pred)`` on this run's test labels and the best
    model's predictions at its threshold, against ``helpers.metrics``."""
    y_true = np.asarray(y_true).astype(int)
    y_pred = (np.asarray(scores) >= threshold).astype(int)
    call = "anomaly_class_scores(split.y_test, y_pred)"
    got = _figures(y_true, y_pred, call, anomaly_class_scores(y_true, y_pred))
    expected = metrics.evaluate(y_true, scores, threshold)
    _compare(got, expected, y_true, y_pred, call)
    print(f"{call}: precision {got['precision']:.3f}, recall {got['recall']:.3f}, F1 {got['f1']:.3f}, "
          "the same as helpers.metrics")


