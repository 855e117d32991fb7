"""The hidden tests of the graded exercises (notebooks 03 to 07).

The test cell of each exercise runs a visible check from :mod:`helpers.exercises` and,
in a block that nbgrader removes from the students' copies and puts back when grading,
one of these: other sizes and crafted cases that a solution written only to pass the
visible check would fail. This module is left out of the students' copy of the kit
(``make student``), so that its cases stay hidden; grading runs with the instructor's
``helpers``.
"""
from __future__ import annotations

import numpy as np

from .datasets.base import Split
from .exercises import (
    _check_shapes,
    _compare,
    _dense,
    _f1,
    _figures,
    _model,
    _mse,
    _number,
    _output_activation,
    _train,
    best_f1,
    check,
    poisoned,
    small_split,
)


def check_encoder_cases(build_encoder) -> None:
    """Other sizes: the shapes, at least one hidden Dense layer before the latent one,
    and no layer wider than the input."""
    rng = np.random.default_rng(0)
    for input_dim, latent_dim in ((7, 2), (784, 16), (24, 6)):
        call = f"build_encoder({input_dim}, {latent_dim})"
        enc = _model(build_encoder(input_dim, latent_dim), call)
        _check_shapes(enc, call, input_dim, latent_dim)
        dense = _dense(enc)
        check(len(dense) >= 2,
              f"{call} has {len(dense)} Dense layer(s); it needs at least one hidden Dense layer "
              "before the Dense latent layer")
        for layer in dense:
            check(layer.units <= input_dim,
                  f"{call} has a Dense layer of {layer.units} units, wider than its {input_dim} "
                  "inputs: an encoder narrows the data, so keep every layer at most as wide as "
                  "the input (e.g. a hidden width between input_dim and latent_dim)")
        check(dense[-1].units == latent_dim,
              f"{call}: its last Dense layer has {dense[-1].units} units; the latent layer must "
              f"have latent_dim = {latent_dim}")
        codes = np.asarray(enc.predict(rng.normal(size=(4, input_dim)).astype("float32"), verbose=0))
        check(codes.shape == (4, latent_dim) and np.isfinite(codes).all(),
              f"{call} turned 4 rows into {codes.shape} (or non-finite values); expected (4, {latent_dim})")


def check_decoder_cases(build_decoder) -> None:
    """Other sizes: the shapes, a hidden Dense layer before the output layer, hidden
    layers no wider than the output, and the output activation asked for."""
    rng = np.random.default_rng(0)
    for latent_dim, output_dim, activation in ((2, 7, "linear"), (16, 784, "sigmoid"),
                                               (6, 24, "sigmoid"), (8, 32, "linear")):
        call = f"build_decoder({latent_dim}, {output_dim}, {activation!r})"
        dec = _model(build_decoder(latent_dim, output_dim, activation), call)
        _check_shapes(dec, call, latent_dim, output_dim)
        dense = _dense(dec)
        check(len(dense) >= 2,
              f"{call} has {len(dense)} Dense layer(s); mirror the encoder: at least one hidden "
              "Dense layer, then the output layer")
        for layer in dense[:-1]:
            check(layer.units <= output_dim,
                  f"{call} has a hidden Dense layer of {layer.units} units, wider than its "
                  f"{output_dim} outputs: mirror the encoder, whose layers are no wider than the input")
        used = _output_activation(dec)
        check(used == activation,
              f"{call}: the output layer's activation is {used!r}; it must be the one asked for, "
              f"{activation!r} (pass `activation=output_activation` to the last Dense layer)")
        out = np.asarray(dec.predict(10 * rng.normal(size=(16, latent_dim)).astype("float32"), verbose=0))
        check(np.isfinite(out).all(), f"{call} gives NaN or infinite outputs")
        if activation == "sigmoid":
            check(out.min() >= 0 and out.max() <= 1,
                  f"{call} gives outputs outside [0, 1]; a sigmoid output cannot")


def check_output_activation_cases(output_activation_for) -> None:
    """Crafted arrays: the bounds are inclusive, and every value counts (not the first
    row, not the mean)."""
    rng = np.random.default_rng(0)
    inside = rng.uniform(0, 1, (50, 6)).astype("float32")
    last_high, last_low = inside.copy(), inside.copy()
    last_high[-1, -1], last_low[-1, -1] = 1.5, -0.01
    cases = [
        ("values uniform in [0, 1]", inside, "sigmoid"),
        ("values exactly 0 and 1", np.array([[0.0, 1.0], [1.0, 0.0]]), "sigmoid"),
        ("standardised values (mean 0, spread 1)", rng.normal(size=(50, 6)), "linear"),
        ("values in [0, 1] except 1.5 in the last row", last_high, "linear"),
        ("values in [0, 1] except -0.01 in the last row", last_low, "linear"),
        ("values in [-1, 2] whose mean is 0.5", rng.uniform(-1, 2, (50, 6)), "linear"),
        ("pixels in [0, 1], 784 per row", rng.uniform(0, 1, (20, 784)), "sigmoid"),
    ]
    for what, X, expected in cases:
        got = output_activation_for(X)
        check(got == expected,
              f"output_activation_for on {what} returned {got!r}; expected {expected!r}: "
              "'sigmoid' when every value lies in [0, 1] (bounds included), 'linear' otherwise")


def check_compile_and_train_data(compile_and_train, split: Split, seed: int, epochs: int = 3,
                                 rows: int = 2000) -> None:
    """No anomalous row and no test row was used: ``compile_and_train`` on a poisoned
    small split keeps finite losses, and the validation loss it reports is the model's
    MSE on ``split.X_val_normal``."""
    small = poisoned(small_split(split, rows, seed))
    model, logs, call = _train(compile_and_train, small, seed, epochs)
    check(np.isfinite(logs["loss"]).all(),
          f"{call}: the training loss became NaN on a copy of the split whose anomalous validation "
          "rows and test rows are NaN, so training read one of them; train on split.X_train only "
          "(inputs and targets)")
    check(np.isfinite(logs["val_loss"]).all(),
          f"{call}: the validation loss became NaN on a copy of the split whose anomalous validation "
          "rows and test rows are NaN, so validation read one of them; pass "
          "validation_data=(split.X_val_normal, split.X_val_normal)")
    mse = _mse(model, small.X_val_normal)
    reported = (logs["val_loss"][-1], min(logs["val_loss"]))  # last epoch, or best weights restored
    check(any(np.isclose(v, mse, rtol=1e-3, atol=1e-7) for v in reported),
          f"{call}: the validation loss Keras reported ({logs['val_loss'][-1]:.5g}) is not the "
          f"model's MSE on split.X_val_normal ({mse:.5g}); validate on the held-out normal rows: "
          "validation_data=(split.X_val_normal, split.X_val_normal)")


def check_threshold_cases(choose_threshold, tolerance: float = 0.01) -> None:
    """Crafted scores, with more training than validation scores (as for a series): the
    threshold separates separable scores, and its validation F1 is the best one there
    is (within ``tolerance``), also when anomalies score *lower* than normal rows (then
    flagging every row is the best F1)."""
    rng = np.random.default_rng(0)

    def case(normal, anomalies, n_train=800):
        """Training scores like the normal ones, and shuffled validation scores and labels."""
        scores = np.r_[normal, anomalies]
        y = np.r_[np.zeros(len(normal), int), np.ones(len(anomalies), int)]
        order = rng.permutation(len(y))
        return rng.choice(normal, n_train), scores[order], y[order]

    train, val, y = case(rng.uniform(0, 1, 300), rng.uniform(2, 3, 20))
    call = "choose_threshold on normal scores in [0, 1] and anomalies in [2, 3]"
    thr = _number(choose_threshold(train, val, y), call)
    check(val[y == 0].max() < thr <= val[y == 1].min(),
          f"{call} returned {thr:.4g}; a threshold in (1, 2] separates them perfectly (every "
          "anomaly at or above it, every normal row below)")
    for what, normal, anomalies in (
            ("overlapping scores (normal around 1, anomalies around 2)",
             rng.normal(1, 0.3, 1000), rng.normal(2, 0.5, 50)),
            ("anomalies that all score below the normal rows",
             rng.uniform(1, 2, 400), rng.uniform(0, 0.5, 20))):
        train, val, y = case(normal, anomalies)
        call = f"choose_threshold on {what}"
        thr = _number(choose_threshold(train, val, y), call)
        got, best = _f1(val, y, thr), best_f1(val, y)
        check(got >= best - tolerance,
              f"{call} returned {thr:.4g}, whose validation F1 is {got:.3f}; the best threshold "
              f"gives {best:.3f}: choose the threshold with the highest anomaly-class F1 on the "
              "validation scores")


def check_anomaly_scores_cases(anomaly_class_scores) -> None:
    """Crafted labels that tell the anomaly class's figures from swapped arguments, micro,
    macro or weighted averages and the normal class's, and the convention for no flagged
    row (0.0)."""
    a = np.array
    cases = [
        ("4 anomalies in 10, 3 flagged of which 2 right", a([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]),
         a([1, 1, 0, 0, 1, 0, 0, 0, 0, 0]), {"precision": 2 / 3, "recall": 0.5, "f1": 4 / 7}),
        ("1 anomaly in 20, found, with 3 false alarms", a([1] + [0] * 19),
         a([1, 1, 1, 1] + [0] * 16), {"precision": 0.25, "recall": 1.0, "f1": 0.4}),
        ("no row flagged", a([1, 1, 0, 0, 0]), a([0, 0, 0, 0, 0]),
         {"precision": 0.0, "recall": 0.0, "f1": 0.0}),
        ("no anomaly and no row flagged", a([0, 0, 0, 0]), a([0, 0, 0, 0]),
         {"precision": 0.0, "recall": 0.0, "f1": 0.0}),
        ("every row right", a([0, 1, 0, 1, 1]), a([0, 1, 0, 1, 1]),
         {"precision": 1.0, "recall": 1.0, "f1": 1.0}),
    ]
    for what, y_true, y_pred, expected in cases:
        call = f"anomaly_class_scores on {what}"
        try:
            result = anomaly_class_scores(y_true, y_pred)
        except ZeroDivisionError:
            raise AssertionError(f"{call} divided by zero; when no row is flagged (or there is no "
                                 "anomaly) the convention is 0.0, as sklearn's zero_division=0") from None
        got = _figures(y_true, y_pred, call, result)
        _compare(got, expected, y_true, y_pred, call)
