"""Seconds per epoch of a Keras fit, for the benchmarks in this folder."""
from __future__ import annotations

import statistics
import time


def seconds_per_epoch(model, X, epochs: int, batch_size: int) -> float:
    """Fit ``model`` on ``(X, X)`` for ``epochs`` epochs; the mean seconds of the epochs
    after the first (which traces and compiles the training step)."""
    import keras  # noqa: PLC0415  (the caller has chosen the backend)

    times = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    model.fit(X, X, epochs=epochs, verbose=0, batch_size=batch_size, callbacks=[Clock()])
    return statistics.mean(times[1:])
