"""The one contract every detector follows, autoencoder or baseline.

In the spirit of scikit-learn and PyOD:

- ``__init__`` stores its parameters as given and nothing else;
- ``fit(split) -> self`` learns from the split's normal training data only, and
  records its wall time in ``fit_seconds_``;
- ``score_samples(split, part) -> scores`` gives one anomaly score per row, image or
  point of ``part`` ("train", "val" or "test"), aligned with ``split.labels_of(part)``;
  higher means more anomalous;
- what ``fit`` learns is stored in attributes whose names end in an underscore
  (``model_``, ``pca_``), so a fitted detector is easy to tell from a fresh one.

A subclass implements ``_fit(split)`` (the learning itself) and ``score_samples``.
"""
from __future__ import annotations

import inspect
import time

import numpy as np


class NotFittedError(RuntimeError):
    """A detector was asked for scores before ``fit``."""


class Detector:
    name = "detector"  # its registry name
    detector_type = "baseline"  # "autoencoder" or "baseline", the report's ``kind`` column
    # whether fitting trains a neural network: its figures then vary in their last digits
    # with the CPU's instruction set, so nbval checks none of them
    trains_a_network = False

    def fit(self, split) -> "Detector":
        start = time.perf_counter()
        self._fit(split)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _fit(self, split) -> None:
        raise NotImplementedError

    def score_samples(self, split, part: str) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    # -- parameters ---------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self) -> dict:
        """The parameters ``__init__`` was given, by name."""
        return {p: getattr(self, p) for p in self._param_names()}

    def with_params(self, **changes) -> "Detector":
        """A new, unfitted detector with the same parameters except ``changes``."""
        return type(self)(**{**self.get_params(), **changes})

    def portable(self) -> "Detector":
        """This detector in a form that can be sent to another process to be fitted there
        (an autoencoder sends its untrained model as bytes)."""
        return self

    def fitted(self) -> bool:
        return hasattr(self, "fit_seconds_")

    def _check_fitted(self) -> None:
        if not self.fitted():
            raise NotFittedError(f"{self.name}: call fit(split) before score_samples")

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.get_params().items() if k != "model"}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
