"""The seed documents' mistakes, reproduced on purpose and shown next to the
honest figure. Each function returns the misleading number and what it hides."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_curve, precision_score

from . import architectures, metrics, training
from .datasets.base import Split

SEED_RECIPE = "seed_recipe"


def train_seed_recipe(split_unscaled: Split, epochs: int = 20):
    """Seed 001's training exactly as written: the deep autoencoder with a sigmoid
    output and MAE loss, on *unscaled* data, 20 epochs at batch 64, validated on the
    test set (which holds the anomalies), no early stopping."""
    arch = architectures.get("seed_deep_sigmoid")
    model = architectures.build_autoencoder(arch, split_unscaled.X_train.shape[1])
    training.compile_autoencoder(model, arch)
    fit = training.fit_autoencoder(model, split_unscaled.X_train, split_unscaled.X_test,
                                   epochs=epochs, batch_size=64, early_stopping=False)
    return model, fit


# Datasets whose seed document gave a training recipe worth reproducing as a pitfall.
SEED_RECIPES = {"synthetic": train_seed_recipe}


def train_recipe(dataset: str, split_unscaled: Split, epochs: int = 20):
    """Train the dataset's seed recipe, if its seed document has one; else None."""
    recipe = SEED_RECIPES.get(dataset)
    if recipe is None:
        print(f"The seed document of {dataset!r} gives no training recipe to reproduce here; "
              "its pitfalls are in notebooks 07 and 08.")
        return None
    return recipe(split_unscaled, epochs=epochs)


def unreachable_share(X: np.ndarray, low: float = 0.0, high: float = 1.0) -> float:
    """Share of values a sigmoid output can never reproduce (outside [0, 1])."""
    X = np.asarray(X)
    return float(((X < low) | (X > high)).mean())


def mae_errors(model, X: np.ndarray) -> np.ndarray:
    recon = model.predict(X, batch_size=4096, verbose=0)
    return np.mean(np.abs(X - recon), axis=1)


def seed_recipe_figures(model, split_unscaled: Split) -> dict:
    """The seed's evaluation: MAE per row, threshold at the 98th percentile of the
    *test* errors, scored on the test set."""
    errors = mae_errors(model, split_unscaled.X_test)
    thr = float(np.percentile(errors, 98))
    return metrics.evaluate(split_unscaled.y_test, errors, thr)


def self_scored_f1(y_pred) -> float:
    """Seed 002 scored its predictions against themselves: always 1.0."""
    return float(f1_score(y_pred, y_pred, zero_division=0))


def swapped_micro_precision(y_true, y_pred) -> float:
    """Seed 000's ``precision_score(preds, y_test, average='micro')``: with swapped
    arguments and micro-averaging over both classes, this is plain accuracy."""
    return float(precision_score(y_pred, y_true, average="micro"))


def best_f1_on_test(y_test, test_scores) -> float:
    """The F1 you get if you pick the threshold by looking at the test labels."""
    p, r, _ = precision_recall_curve(y_test, test_scores)
    return float(np.max(2 * p * r / np.maximum(p + r, 1e-12)))


def table(y_test, test_scores, threshold: float, seed_recipe: dict | None = None) -> pd.DataFrame:
    """Every pitfall in one table: the number it prints, the honest number, and why
    the first one misleads. ``test_scores`` and ``threshold`` are the kit's chosen
    detector and its validation-chosen threshold."""
    y_test = np.asarray(y_test).astype(int)
    honest = metrics.evaluate(y_test, test_scores, threshold)
    y_pred = (np.asarray(test_scores) >= threshold).astype(int)
    rows = []
    if seed_recipe is not None:
        rows.append(("Seed 001 recipe: sigmoid output on unscaled data, MAE, validated "
                     "on the test set, 98th percentile of test errors", "anomaly F1",
                     seed_recipe["f1"], honest["f1"],
                     "The sigmoid cannot reach the data's range, so errors measure the "
                     "data's size, not how unusual a row is."))
    rows += [
        ("Accuracy on data that is ~99% normal", "accuracy", honest["accuracy"], honest["f1"],
         f"Calling every row normal already scores {metrics.majority_accuracy(y_test):.3f}."),
        ("Predictions scored against themselves (seed 002)", "F1", self_scored_f1(y_pred),
         honest["f1"], "Comparing a thing with itself always agrees; no label is used."),
        ("precision_score(preds, y_test, average='micro') (seed 000)", "'precision'",
         swapped_micro_precision(y_test, y_pred), honest["precision"],
         "Swapped arguments plus micro-averaging over both classes is just accuracy."),
        ("Threshold picked on the test set", "anomaly F1", best_f1_on_test(y_test, test_scores),
         honest["f1"], "Tuning on the test set makes it a second validation set; the "
         "figure no longer predicts new data."),
    ]
    return pd.DataFrame(rows, columns=["pitfall", "figure", "what it reports",
                                       "honest figure (anomaly class)", "why it misleads"])


def recipe_figures(dataset: str, state, split_unscaled: Split) -> dict | None:
    """Test figures of the seed recipe trained in notebook 05, if this dataset has one."""
    if dataset not in SEED_RECIPES:
        return None
    return seed_recipe_figures(state.load_model("trained", SEED_RECIPE), split_unscaled)
