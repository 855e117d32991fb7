"""Compiling and training autoencoders, and seed 000's reconstruction figures."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import reproducibility
from .architectures import Architecture

# Keras runs one Python step per batch by default; on a CPU that overhead
# dominates these small models. Running 32 batches per step is ~2.5x faster
# with identical maths.
STEPS_PER_EXECUTION = 32


def compile_options() -> dict:
    """What every ``model.compile`` in the kit passes besides the optimizer and loss.
    On TensorFlow, XLA (``jit_compile``) stays off: it made the convolutional model
    1.5x slower per epoch here and gained nothing on the dense ones. On JAX, XLA is
    how a step runs at all; without it JAX runs each operation on its own, about 100
    times slower."""
    return {"steps_per_execution": STEPS_PER_EXECUTION,
            "jit_compile": reproducibility.backend() == "jax"}


@dataclass
class FitResult:
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int


def compile_autoencoder(model, arch: Architecture, learning_rate: float = 1e-3,
                        weight_decay: float = 0.0):
    import keras  # noqa: PLC0415

    optimizer = keras.optimizers.Adam(learning_rate, weight_decay=weight_decay or None)
    model.compile(optimizer=optimizer, loss=arch.loss,
                  metrics=["mae" if arch.loss != "mae" else "mse"],
                  **compile_options())
    return model


def epochs_for(arch: Architecture, limit: int) -> int:
    """The run's epoch limit, capped by the architecture's own ``max_epochs`` (slow
    models on a laptop CPU)."""
    return min(limit, arch.max_epochs or limit)


def fit_autoencoder(model, X_train: np.ndarray, X_val_normal: np.ndarray, epochs: int,
                    batch_size: int = 256, patience: int = 10,
                    early_stopping: bool = True) -> FitResult:
    """Teach the model to reproduce normal rows.

    Inputs and targets are the same normal data; early stopping watches the loss
    on *held-out normal* rows and restores the best weights, so no anomaly ever
    influences training.
    """
    import keras  # noqa: PLC0415

    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                               restore_best_weights=True)] if early_stopping else []
    hist = model.fit(X_train, X_train, epochs=epochs, batch_size=batch_size, shuffle=True,
                     validation_data=(X_val_normal, X_val_normal), callbacks=callbacks, verbose=0)
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    n = len(history["loss"])
    best = int(np.argmin(history["val_loss"])) + 1
    return FitResult(history, n, best)


def split_fit_table(autoencoders: dict, split, max_rows: int = 5000) -> "pd.DataFrame":
    """Seed 000's figures per split: the reconstruction loss (MSE) and the R² of the
    reconstructions, which it called "accuracy", on training, validation and test
    inputs (at most ``max_rows`` of each, evenly spaced, to keep it quick). Both
    measure reconstruction, not detection."""
    import pandas as pd  # noqa: PLC0415
    from sklearn.metrics import r2_score  # noqa: PLC0415

    parts = (("train", "train"), ("val", "validation"), ("test", "test"))
    inputs = []
    for part, _ in parts:
        X = np.asarray(split.inputs(part), dtype="float32")
        inputs.append(X[np.linspace(0, len(X) - 1, min(max_rows, len(X))).astype(int)])
    bounds = np.cumsum([0] + [len(X) for X in inputs])
    rows = []
    for name, det in autoencoders.items():
        recon, errors = det.reconstruct(np.concatenate(inputs))  # one call for all parts
        row = {"model": name}
        for (_, label), X, a, b in zip(parts, inputs, bounds[:-1], bounds[1:]):
            row[f"{label} loss"] = float(errors[a:b].mean())
            row[f"{label} R²"] = float(r2_score(X.ravel(), recon[a:b].ravel()))
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")
