"""An autoencoder as a detector: it learns to reproduce normal inputs, and its
reconstruction error is the anomaly score.

``model`` is the untrained Keras model notebooks 03 and 04 built (or its pickled
bytes, which is how it travels to another process); ``None`` builds one from the
architecture. ``fit`` trains a copy, never the model it was given, so fitting twice
from the same parameters gives the same result, whichever process it runs in.
"""
from __future__ import annotations

import pickle

import numpy as np

from . import architectures, reproducibility, scoring, training
from .detector import Detector
from .runstate import MissingStepError


class Autoencoder(Detector):
    detector_type = "autoencoder"
    trains_a_network = True

    def __init__(self, architecture: str, model=None, epochs: int = 60, batch_size: int = 256,
                 patience: int = 10, seed: int = 0, threads: int = 2):
        self.architecture = architecture
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.seed = seed
        self.threads = threads

    @property
    def name(self) -> str:
        return self.architecture

    def _fit(self, split) -> None:
        arch = architectures.get(self.architecture)
        # Copy the untrained model before seeding: unpickling builds layers, and the
        # copy must be made the same way in this process or in a worker.
        blob = self.model if isinstance(self.model, (bytes, type(None))) else pickle.dumps(self.model)
        reproducibility.seed_everything(self.seed, self.threads)
        if blob is not None:
            from . import conv_layers, latent_layers  # noqa: F401, PLC0415  (their layers, for unpickling)
        model = (architectures.build_autoencoder(arch, split.X_train.shape[1]) if blob is None
                 else pickle.loads(blob))  # noqa: S301  (the kit's own model)
        training.compile_autoencoder(model, arch)
        fit = training.fit_autoencoder(model, split.X_train, split.X_val_normal,
                                       epochs=training.epochs_for(arch, self.epochs),
                                       batch_size=self.batch_size, patience=self.patience)
        self.model_ = model
        self.history_ = fit.history
        self.epochs_run_ = fit.epochs_run
        self.best_epoch_ = fit.best_epoch

    def portable(self) -> "Autoencoder":
        """The same detector with its untrained model as bytes, to send to another
        process: TensorFlow must set its thread count there before it loads a model."""
        if self.model is None or isinstance(self.model, bytes):
            return self
        return self.with_params(model=pickle.dumps(self.model))

    def element_errors(self, X: np.ndarray) -> np.ndarray:
        """Squared reconstruction error of every input value, shaped (inputs, values)."""
        self._check_fitted()
        return scoring.element_errors(self.model_, X)

    def reconstruct(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reconstructions of ``X`` and the squared error of every value."""
        self._check_fitted()
        return scoring.reconstruct(self.model_, X)

    def score_samples(self, split, part: str) -> np.ndarray:
        return split.to_scores(part, self.element_errors(split.inputs(part)))

    def describe(self) -> str:
        return architectures.get(self.architecture).description

    # -- keeping a fitted autoencoder in the run folder ---------------------------
    def save(self, state, key: str | None = None) -> None:
        """The trained model and what its training recorded, into the run folder, under
        ``key`` (default: the architecture's name)."""
        self._check_fitted()
        key = key or self.name
        state.save_model("trained", self.model_, key=key)
        params = {k: v for k, v in self.get_params().items() if k != "model"}
        state.save_json("trained", {"params": params, "fit_seconds": self.fit_seconds_,
                                    "history": self.history_, "epochs_run": self.epochs_run_,
                                    "best_epoch": self.best_epoch_}, key=key)

    @classmethod
    def load(cls, state, name: str) -> "Autoencoder":
        """A fitted autoencoder as notebook 05 saved it (``name``: the key it was saved
        under)."""
        record = state.load_json("trained", key=name)
        if "params" not in record:
            raise MissingStepError(f"{name} in the run folder was trained by an older version of "
                                   "the kit: run notebooks/05_compile.ipynb again (after 01 to 04)")
        det = cls(**record["params"])
        det.model_ = state.load_model("trained", name)
        det.history_ = record["history"]
        det.epochs_run_, det.best_epoch_ = record["epochs_run"], record["best_epoch"]
        det.fit_seconds_ = record["fit_seconds"]
        return det
