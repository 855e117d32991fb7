"""DevNet: a detector that learns from a few labelled anomalies (Pang, Shen and van
den Hengel, KDD 2019, "Deep anomaly detection with deviation networks").

An autoencoder learns what normal rows look like and never sees an anomaly. Often a
few anomalies *are* known (a handful of confirmed frauds, faults or attacks), next
to many unlabelled rows that are mostly normal. DevNet uses both: a small network
gives every row one number, its anomaly score, and is trained so that

- unlabelled rows (treated as normal) score close to what a normal row "usually"
  scores, and
- the labelled anomalies score far above that, by a clear margin.

The deviation loss
------------------
"What a normal row usually scores" needs a reference. DevNet assumes that the scores
of normal rows follow a standard normal distribution N(0, 1), and draws reference
scores ``r`` from it (5,000 of them). A prediction is then read as a z-score against
that reference::

    dev = (score - mean(r)) / std(r)

and the loss of one row, with label ``y`` (1 = labelled anomaly, 0 = unlabelled) is::

    loss = (1 - y) * |dev| + y * max(0, margin - dev)

An unlabelled row pays for every unit its score deviates from the reference mean,
so normal rows are pulled to about 0. A labelled anomaly pays only while its score
is less than ``margin`` standard deviations above that mean; past the margin its
loss is 0. With ``margin = 5`` an anomaly must end up where a normal score would
land with probability under one in a million (P(Z > 5) is about 3e-7), which makes
the score easy to read: 0 is typical, above 3 is rare, above 5 is what the known
anomalies look like.

Why reference scores from N(0, 1)? A margin of 5 means nothing until one says 5 of
what, above what. The reference gives the zero point and the unit, and they stay put:
they depend neither on the data nor on the network, which cannot move them. The paper takes a Gaussian prior because the
anomaly scores of normal data from many detectors look roughly Gaussian (each score
sums many small effects), and draws its reference from N(0, 1). Here the 5,000 values
are drawn once, with a fixed seed, so their mean and standard deviation are constants
close to 0 and 1 and training is repeatable; the paper draws them afresh per batch.

Unmarked anomalies among the unlabelled rows are treated as normal: they are few, so
they only blur the picture a little (the paper calls this contamination).

Training (``balanced_batches``): anomalies are very rare, so every batch is half
labelled anomalies (drawn with replacement, as there may be only 30 of them) and half
unlabelled rows (drawn without replacement within the batch). An "epoch" is
``steps`` such batches, drawn afresh.

``encoder``: a trained Keras model that maps rows to features, e.g. an autoencoder's
encoder. DevNet then keeps it frozen and trains only its small head on the encoder's
features: an autoencoder's encoder frozen, then a deviation-loss head trained on its
features.

TensorFlow is imported on first use, so that importing this module stays cheap.
"""
from __future__ import annotations

import functools
import pickle

import numpy as np

from . import reproducibility, training
from .detector import Detector

MARGIN = 5.0
REFERENCE_SIZE = 5000
REFERENCE_SEED = 0
CHUNK_BYTES = 64 * 2**20  # at most this many bytes of training rows per Keras fit call
# The reference scores r ~ N(0, 1): drawn once, with a fixed seed, as a constant.
REFERENCE = np.random.default_rng(REFERENCE_SEED).standard_normal(REFERENCE_SIZE).astype("float32")

NEEDS_LABELS = ("{who} needs labelled anomalies (split.X_labelled), and this split has none: "
                "load a dataset with the few-labels protocol, e.g. thyroid, shuttle or csv")


# -- the deviation loss ------------------------------------------------------------
def _row_losses(y_true, y_pred, margin: float = MARGIN, reference=None):
    """The deviation loss of every row, a 1-D tensor (see the module's docstring)."""
    from keras import ops  # noqa: PLC0415

    r = np.asarray(REFERENCE if reference is None else reference, dtype="float64")
    mean, std = float(r.mean()), float(r.std())  # population std, as numpy's default
    y_pred = ops.reshape(ops.convert_to_tensor(y_pred), (-1,))
    y = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1,))
    dev = (y_pred - mean) / std
    return (1.0 - y) * ops.abs(dev) + y * ops.maximum(0.0, margin - dev)


def deviation_loss(y_true, y_pred, margin: float = MARGIN, reference=None):
    """The deviation loss, averaged over the batch.

    ``y_true``: 1 for a labelled anomaly, 0 for an unlabelled row; ``y_pred``: the
    network's scores (any shape with one value per row); ``reference``: the reference
    scores (default: ``REFERENCE``, 5,000 draws from N(0, 1)).
    """
    from keras import ops  # noqa: PLC0415

    return ops.mean(_row_losses(y_true, y_pred, margin, reference))


@functools.cache
def _loss_class():
    """``DeviationLoss``, a ``keras.losses.Loss``. Defined on first use (it needs
    Keras) and registered, so that a compiled DevNet model can be saved, pickled and
    loaded again."""
    import keras  # noqa: PLC0415

    @keras.saving.register_keras_serializable(package="anomaly_kit")
    class DeviationLoss(keras.losses.Loss):
        """The deviation loss as a Keras loss; Keras averages it over the batch."""

        def __init__(self, margin: float = MARGIN, name: str = "deviation_loss", **kwargs):
            super().__init__(name=name, **kwargs)
            self.margin = float(margin)

        def call(self, y_true, y_pred):
            return _row_losses(y_true, y_pred, self.margin)

        def get_config(self):
            return {**super().get_config(), "margin": self.margin}

    return DeviationLoss


def keras_loss(margin: float = MARGIN):
    """The deviation loss as a Keras loss object, for ``model.compile(loss=...)``."""
    return _loss_class()(margin)


# -- the training data -------------------------------------------------------------
def balanced_batches(n_unlabelled: int, n_labelled: int, batch_size: int, steps: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` batches of ``batch_size`` rows, each half labelled anomalies and half
    unlabelled rows.

    Returns ``(index, labels)``, both shaped (steps, batch_size). ``index`` points
    into the unlabelled rows followed by the labelled ones, i.e. into
    ``np.concatenate([X_unlabelled, X_labelled])``: below ``n_unlabelled`` an
    unlabelled row, from ``n_unlabelled`` on a labelled anomaly. ``labels`` is 1 for
    a labelled anomaly, 0 for an unlabelled row. In every batch the first
    ``batch_size - batch_size // 2`` entries are unlabelled rows, all different; the
    other ``batch_size // 2`` are labelled anomalies drawn with replacement. The same
    ``rng`` state gives the same batches.
    """
    half = batch_size // 2  # the labelled half
    rest = batch_size - half  # the unlabelled half
    if half < 1 or steps < 1:
        raise ValueError(f"balanced batches need batch_size >= 2 and steps >= 1, "
                         f"not batch_size={batch_size}, steps={steps}")
    if n_labelled < 1:
        raise ValueError(NEEDS_LABELS.format(who="DevNet"))
    if n_unlabelled < rest:
        raise ValueError(f"{n_unlabelled} unlabelled rows cannot fill half a batch of "
                         f"{batch_size} without repeating rows: use batch_size <= {2 * n_unlabelled}")
    unlabelled = np.stack([rng.choice(n_unlabelled, rest, replace=False) for _ in range(steps)])
    labelled = n_unlabelled + rng.integers(0, n_labelled, size=(steps, half))
    index = np.concatenate([unlabelled, labelled], axis=1)
    labels = np.concatenate([np.zeros((steps, rest), "float32"), np.ones((steps, half), "float32")],
                            axis=1)
    return index, labels


def labelled_rows(split, who: str = "DevNet") -> tuple[np.ndarray, np.ndarray]:
    """``(X_unlabelled, X_labelled)`` of a few-labels split, as float32 arrays: its
    training rows (mostly normal, a few unmarked anomalies) and its labelled anomalies.
    Raises a ValueError that says where to get labels when the split has none (``who``:
    the detector that needs them)."""
    X_labelled = getattr(split, "X_labelled", None)
    if X_labelled is None or len(X_labelled) == 0:
        raise ValueError(NEEDS_LABELS.format(who=who))
    X_unlabelled = np.asarray(split.X_train, dtype="float32")
    X_labelled = np.asarray(X_labelled, dtype="float32")
    if X_labelled.shape[1:] != X_unlabelled.shape[1:]:
        raise ValueError(f"labelled anomalies have shape {X_labelled.shape[1:]} per row, "
                         f"the training rows {X_unlabelled.shape[1:]}")
    return X_unlabelled, X_labelled


# -- the detector ------------------------------------------------------------------
class DevNet(Detector):
    """A deviation network: Input(d) -> [frozen encoder] -> Dense(hidden..., relu, L2)
    -> Dense(1, linear), trained with the deviation loss on balanced batches of
    labelled anomalies (label 1) and unlabelled training rows (label 0). Its score is
    the network's output: about 0 for normal rows, ``margin`` and more for rows like
    the labelled anomalies.

    Defaults are the paper's: one hidden layer of 20 units, L2 of 0.01, RMSprop with a
    learning rate of 1e-3, 50 epochs of 20 batches of 512, margin 5.
    """

    name = "devnet"
    detector_type = "few labels"
    trains_a_network = True

    def __init__(self, seed: int = 0, threads: int = 2, hidden=(20,), epochs: int = 50,
                 batch_size: int = 512, steps: int = 20, margin: float = MARGIN,
                 l2: float = 0.01, learning_rate: float = 1e-3, encoder=None):
        self.seed = seed
        self.threads = threads
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.steps = steps
        self.margin = margin
        self.l2 = l2
        self.learning_rate = learning_rate
        self.encoder = encoder

    def _build(self, width: int, encoder_blob: bytes | None):
        import keras  # noqa: PLC0415

        inputs = keras.Input((width,), name="rows")
        h = inputs
        if encoder_blob is not None:
            self.encoder_ = pickle.loads(encoder_blob)  # noqa: S301  (a copy: the given model stays as it is)
            self.encoder_.trainable = False  # frozen: only the head learns
            h = self.encoder_(h, training=False)
            if len(h.shape) > 2:
                h = keras.layers.Flatten()(h)
        for units in np.atleast_1d(self.hidden).astype(int).tolist():
            h = keras.layers.Dense(units, activation="relu",
                                   kernel_regularizer=keras.regularizers.L2(self.l2))(h)
        score = keras.layers.Dense(1, activation="linear", name="score")(h)
        return keras.Model(inputs, score, name="devnet")

    def _fit(self, split) -> None:
        X_unlabelled, X_labelled = labelled_rows(split)
        # As in helpers.autoencoder: copy the encoder to bytes before seeding, load it after,
        # the same way in this process or in a worker.
        blob = self.portable().encoder
        reproducibility.seed_everything(self.seed, self.threads)
        model = self._build(X_unlabelled.shape[1], blob)
        from .optimizers import RMSprop  # noqa: PLC0415  (exact on every CPU; see helpers.optimizers)

        model.compile(optimizer=RMSprop(self.learning_rate),
                      loss=keras_loss(self.margin),
                      **training.compile_options())
        rows = np.concatenate([X_unlabelled, X_labelled])
        batch = min(self.batch_size, 2 * len(X_unlabelled))  # a tiny training set: smaller batches
        # Every batch of every epoch, drawn up front: (epochs * steps, batch) indices.
        index, labels = balanced_batches(len(X_unlabelled), len(X_labelled), batch,
                                         self.epochs * self.steps, np.random.default_rng(self.seed))
        # Keras reads the batches in order (shuffle=False). One ``fit`` call per chunk of
        # batches, not per epoch: each call costs ~0.08 s of set-up, about three times
        # an epoch of training on 21 features. A chunk holds as many whole epochs as fit
        # in CHUNK_BYTES (all 50 here); the results do not depend on the chunk size.
        per_epoch = self.steps * batch * rows[0].nbytes
        chunk = max(1, CHUNK_BYTES // per_epoch) * self.steps  # batches per call
        losses = []
        for start in range(0, len(index), chunk):
            part = slice(start, start + chunk)
            hist = model.fit(rows[index[part].ravel()], labels[part].ravel(), batch_size=batch,
                             epochs=1, shuffle=False, verbose=0)
            losses.append(float(hist.history["loss"][-1]))
        self.model_ = model
        # the mean deviation loss of each chunk of epochs (often a single one)
        self.history_ = {"loss": losses, "epochs_per_value": chunk // self.steps}
        self.n_labelled_ = len(X_labelled)
        self.n_unlabelled_ = len(X_unlabelled)

    def score_samples(self, split, part: str) -> np.ndarray:
        """The network's output for every row of ``part``: higher = more anomalous."""
        self._check_fitted()
        X = np.asarray(split.inputs(part), dtype="float32")
        return np.asarray(self.model_.predict(X, batch_size=4096, verbose=0),
                          dtype=float).reshape(-1)

    def __getstate__(self) -> dict:
        """A fitted network travels as bytes, and ``__setstate__`` loads it only once the
        kit's Keras classes it names (the deviation loss, the RMSprop) are registered: a
        process that never trained a DevNet (the one a worker returns it to) has not."""
        state = dict(self.__dict__)
        if "model_" in state and not isinstance(state["model_"], bytes):
            state["model_"] = pickle.dumps(state["model_"])
        return state

    def __setstate__(self, state: dict) -> None:
        if isinstance(state.get("model_"), bytes):
            from . import optimizers  # noqa: F401, PLC0415  (registers the kit's RMSprop)

            _loss_class()
            state = dict(state, model_=pickle.loads(state["model_"]))  # noqa: S301  (the kit's own model)
        self.__dict__.update(state)

    def portable(self) -> "DevNet":
        """The same detector with its encoder as bytes, to send to another process:
        TensorFlow must set its thread count there before it loads a model."""
        if self.encoder is None or isinstance(self.encoder, bytes):
            return self
        return self.with_params(encoder=pickle.dumps(self.encoder))

    def describe(self) -> str:
        head = " -> ".join(f"Dense({u})" for u in [*np.atleast_1d(self.hidden).tolist(), 1])
        net = f"frozen encoder -> {head}" if self.encoder is not None else head
        labels = (f"{self.n_labelled_} labelled anomalies + {self.n_unlabelled_} unlabelled rows"
                  if self.fitted() else "labelled anomalies + unlabelled rows")
        return (f"DevNet ({net}), deviation loss with margin {self.margin:g}, on {labels}, "
                f"{self.epochs} epochs of {self.steps} balanced batches")

    def __repr__(self) -> str:
        shown = {k: ("<encoder>" if k == "encoder" and v is not None else v)
                 for k, v in self.get_params().items()}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


class MemAEDevNet(Detector):
    """Seed 004's plan in full: train a MemAE on the unlabelled rows (no label), freeze its
    encoder, and train a DevNet head on the codes it gives (the features before the
    memory). The score is the head's output. Whether this beats DevNet on the raw
    features is the question it answers."""

    name = "memae_devnet"
    detector_type = "few labels"
    trains_a_network = True

    # The autoencoder trains with large batches and at most 30 epochs: it is fitted again for
    # every seed 07 measures noise with, and only its codes matter here.
    def __init__(self, seed: int = 0, threads: int = 2, architecture: str = "tab_memae",
                 epochs: int = 30, batch_size: int = 1024):
        self.seed = seed
        self.threads = threads
        self.architecture = architecture
        self.epochs = epochs
        self.batch_size = batch_size

    def _fit(self, split) -> None:
        from . import latent_layers  # noqa: PLC0415
        from .autoencoder import Autoencoder  # noqa: PLC0415

        labelled_rows(split, "MemAE + DevNet")  # refuse before training anything
        self.autoencoder_ = Autoencoder(self.architecture, epochs=self.epochs,
                                        batch_size=self.batch_size, seed=self.seed,
                                        threads=self.threads).fit(split)
        encoder = latent_layers.code_model(self.autoencoder_.model_)
        self.devnet_ = DevNet(seed=self.seed, threads=self.threads, encoder=encoder).fit(split)

    def score_samples(self, split, part: str) -> np.ndarray:
        self._check_fitted()
        return self.devnet_.score_samples(split, part)

    def describe(self) -> str:
        done = (f", {self.autoencoder_.epochs_run_} epochs of {self.architecture}"
                if self.fitted() else "")
        return f"{self.architecture}'s encoder frozen, then a DevNet head on its codes{done}"
