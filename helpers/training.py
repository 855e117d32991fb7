"""Compiling and training autoencoders, and turning them into anomaly scores."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .architectures import Architecture

# Keras runs one Python step per batch by default; on a CPU that overhead
# dominates these small models. Running 32 batches per step is ~2.5x faster
# with identical maths. XLA (jit_compile) is off: it made the convolutional
# model 1.5x slower per epoch here and gained nothing on the dense ones.
STEPS_PER_EXECUTION = 32


@dataclass
class FitResult:
    history: dict[str, list[float]]
    fit_seconds: float
    epochs_run: int
    best_epoch: int
    stopped_early: bool
    extra: dict = field(default_factory=dict)


def compile_autoencoder(model, arch: Architecture, learning_rate: float = 1e-3,
                        weight_decay: float = 0.0):
    import keras  # noqa: PLC0415

    optimizer = keras.optimizers.Adam(learning_rate, weight_decay=weight_decay or None)
    model.compile(optimizer=optimizer, loss=arch.loss,
                  metrics=["mae" if arch.loss != "mae" else "mse"],
                  steps_per_execution=STEPS_PER_EXECUTION,
                  jit_compile=False)  # XLA compiles slower than it runs these models on a CPU
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
    start = time.perf_counter()
    hist = model.fit(X_train, X_train, epochs=epochs, batch_size=batch_size, shuffle=True,
                     validation_data=(X_val_normal, X_val_normal), callbacks=callbacks, verbose=0)
    seconds = time.perf_counter() - start
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    n = len(history["loss"])
    best = int(np.argmin(history["val_loss"])) + 1
    return FitResult(history, seconds, n, best, n < epochs)


def fit_one(name: str, model, split, epochs: int, batch_size: int, seed: int,
            threads: int = 2) -> tuple:
    """Compile and train one untrained model on ``split``'s normal training rows,
    after seeding with ``seed``: a model's result does not depend on which models
    were trained before it, or in which process. Returns (model, FitResult)."""
    import pickle  # noqa: PLC0415

    from . import architectures, reproducibility  # noqa: PLC0415

    reproducibility.seed_everything(seed, threads)
    if isinstance(model, bytes):  # sent to another process: unpickle after TensorFlow is set up
        model = pickle.loads(model)  # noqa: S301  (our own model, pickled by fit_all)
    arch = architectures.get(name)
    compile_autoencoder(model, arch)
    fit = fit_autoencoder(model, split.X_train, split.X_val_normal,
                          epochs=epochs_for(arch, epochs), batch_size=batch_size)
    return model, fit


def fit_all(models: dict, split, epochs: int, batch_size: int, seed: int, threads: int = 2,
            jobs: int = 1) -> dict:
    """``fit_one`` for every model of ``models`` (name -> untrained model); with
    ``jobs`` > 1, that many at once in separate processes (``parallel.starmap``).
    Returns name -> (trained model, FitResult), in the order given."""
    import pickle  # noqa: PLC0415

    from .parallel import starmap  # noqa: PLC0415

    calls = [(name, pickle.dumps(model) if jobs > 1 else model, split, epochs, batch_size,
              seed, threads) for name, model in models.items()]
    done = starmap(fit_one, calls, jobs)
    return dict(zip(models, done))


def split_fit_table(models: dict, split, max_rows: int = 5000) -> "pd.DataFrame":
    """Seed 000's figures per split: the reconstruction loss (MSE) and the R² of the
    reconstructions, which it called "accuracy", on training, validation and test
    inputs (at most ``max_rows`` of each, evenly spaced, to keep it quick). Both
    measure reconstruction, not detection."""
    import pandas as pd  # noqa: PLC0415
    from sklearn.metrics import r2_score  # noqa: PLC0415

    from .scoring import reconstruct  # noqa: PLC0415

    parts = (("train", "train"), ("val", "validation"), ("test", "test"))
    inputs = []
    for part, _ in parts:
        X = np.asarray(split.inputs(part), dtype="float32")
        inputs.append(X[np.linspace(0, len(X) - 1, min(max_rows, len(X))).astype(int)])
    bounds = np.cumsum([0] + [len(X) for X in inputs])
    rows = []
    for name, model in models.items():
        recon, errors = reconstruct(model, np.concatenate(inputs))  # one call for all parts
        row = {"model": name}
        for (_, label), X, a, b in zip(parts, inputs, bounds[:-1], bounds[1:]):
            row[f"{label} loss"] = float(errors[a:b].mean())
            row[f"{label} R²"] = float(r2_score(X.ravel(), recon[a:b].ravel()))
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")
