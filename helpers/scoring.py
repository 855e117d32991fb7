"""From an autoencoder's reconstruction to one anomaly score per row or per point.

For tables a row's score is its mean squared reconstruction error. For images it is
the mean squared error of the image's worst patch (see ``datasets/images.py``). For
time series the model reads windows, and every point gets the mean of the squared
errors that the windows covering it make at that point. ``split.to_scores`` does
that mapping, so the notebooks call the same function for every dataset.
"""
from __future__ import annotations

import numpy as np


def reconstruct(model, X: np.ndarray, batch_size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """The model's reconstruction of ``X`` and the squared error of every input
    value, both shaped (rows, values)."""
    X = np.asarray(X, dtype="float32")
    recon = np.asarray(model.predict(X, batch_size=batch_size, verbose=0)).reshape(X.shape)
    return recon.reshape(len(X), -1), ((X - recon) ** 2).reshape(len(X), -1)


def element_errors(model, X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Squared reconstruction error of every input value, shaped (rows, values)."""
    return reconstruct(model, X, batch_size)[1]


def errors(model, split, part: str) -> np.ndarray:
    """Anomaly scores of ``part`` ("train", "val" or "test"), aligned with
    ``split.labels_of(part)``: per row, or per point for a time series."""
    return split.to_scores(part, element_errors(model, split.inputs(part)))


def compare_scores(autoencoders: dict, split, part: str = "val") -> "pd.DataFrame":
    """ROC-AUC on ``part`` of every fitted autoencoder (name -> detector) under each
    way the split can turn errors into scores (``split.score_variants()``; the first
    column is the one in use)."""
    import pandas as pd  # noqa: PLC0415
    from sklearn.metrics import roc_auc_score  # noqa: PLC0415

    variants, labels = split.score_variants(), split.labels_of(part)
    rows = {}
    for name, det in autoencoders.items():
        err = det.element_errors(split.inputs(part))
        rows[name] = {v: roc_auc_score(labels, s.to_scores(part, err)) for v, s in variants.items()}
    return pd.DataFrame(rows).T.rename_axis(f"{part} ROC-AUC")


def spread(row_scores: np.ndarray, width: int) -> np.ndarray:
    """One score per input row, repeated over its ``width`` values (for detectors
    that score a whole row or window at once)."""
    row_scores = np.asarray(row_scores, dtype=float)
    return np.repeat(row_scores[:, None], width, axis=1)


def examples(split, part: str, n: int = 4):
    """Inputs of ``part`` to show: the first ``n`` normal ones and the first ``n``
    anomalous ones (for a time series, windows whose middle point is anomalous where
    there are any). Returns the inputs, the chosen indices and their labels."""
    X, labels = split.inputs(part), np.asarray(split.row_labels(part))
    anomalous = np.flatnonzero(labels == 1)
    if split.family == "series" and len(anomalous):
        starts, y = split.ts[f"{part}_starts"], split.ts[f"{part}_y"]
        middle = anomalous[y[starts[anomalous] + split.window // 2] == 1]
        anomalous = middle if len(middle) else anomalous
        anomalous = anomalous[np.linspace(0, len(anomalous) - 1, min(n, len(anomalous))).astype(int)]
    pick = np.r_[np.flatnonzero(labels == 0)[:n], anomalous[:n]].astype(int)
    return X, pick, labels[pick]


def elbo_table(autoencoders: dict, split, part: str = "val") -> "pd.DataFrame":
    """For every variational autoencoder of ``autoencoders`` (name -> fitted detector), its
    ROC-AUC and PR-AUC on ``part`` with two scores: the reconstruction error every
    autoencoder uses, and the negative ELBO (reconstruction error plus how far the row's
    code lies from the prior). Empty when the run has no VAE."""
    import pandas as pd  # noqa: PLC0415
    from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: PLC0415

    from . import architectures  # noqa: PLC0415

    labels, rows = split.labels_of(part), {}
    for name, det in autoencoders.items():
        if architectures.get(name).layers != "vae":
            continue
        from .latent_layers import negative_elbo  # noqa: PLC0415

        for score, values in (("reconstruction error", det.score_samples(split, part)),
                              ("negative ELBO", negative_elbo(det.model_, split.inputs(part)))):
            rows[(name, score)] = {f"{part} ROC-AUC": roc_auc_score(labels, values),
                                   f"{part} PR-AUC": average_precision_score(labels, values)}
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).T.rename_axis(["model", "score"])
