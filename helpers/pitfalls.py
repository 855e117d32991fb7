"""The seed documents' mistakes, reproduced on purpose and shown next to the
honest figure. Each function returns the misleading number and what it hides."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_curve, precision_score

from . import architectures, events, metrics, reproducibility, scoring, training
from .datasets.base import Split

SEED_RECIPE = "seed_recipe"


@dataclass
class Recipe:
    """A seed's training recipe, trained as written: the model, its fit, what to
    print about it, the title of its loss curve and facts notebook 07 needs."""

    model: object
    fit: object
    lines: list[str]
    title: str
    facts: dict = field(default_factory=dict)


def train_seed001(split_unscaled: Split, epochs: int = 20) -> Recipe:
    """Seed 001's training exactly as written: the deep autoencoder with a sigmoid
    output and MAE loss, on *unscaled* data, 20 epochs at batch 64, validated on the
    test set (which holds the anomalies), no early stopping."""
    arch = architectures.get("seed_deep_sigmoid")
    model = architectures.build_autoencoder(arch, split_unscaled.X_train.shape[1])
    training.compile_autoencoder(model, arch)
    fit = training.fit_autoencoder(model, split_unscaled.X_train, split_unscaled.X_test,
                                   epochs=epochs, batch_size=64, early_stopping=False)
    lines = ["Seed 001's deep autoencoder as written: sigmoid output, MAE loss, unscaled data, "
             "validation_data=(X_test, X_test), batch 64, no early stopping.",
             f"share of raw values outside [0, 1] (out of a sigmoid's reach): "
             f"{unreachable_share(split_unscaled.X_train):.1%}",
             f"MAE loss: first epoch {fit.history['loss'][0]:.3f}, last {fit.history['loss'][-1]:.3f}"]
    return Recipe(model, fit, lines, "seed 001 recipe (validated on the TEST set)")


def train_seed002(split_unscaled: Split, epochs: int = 5, inits: int = 5) -> Recipe:
    """Seed 002's pointwise model as written: Input(1) -> Dense(10, relu) ->
    Dense(1, relu) on the *raw* values of the whole series (it had no split), MSE,
    batch 32. Trained from ``inits`` initialisations, to count how often the single
    ReLU output unit is dead from the start (output 0 for every value, so its
    gradient is 0 and the loss never moves). At most 5 epochs here (the seed ran 50):
    a dead unit is dead from the first step, and a live one has found the level."""
    epochs = min(epochs, 5)
    inits = inits if epochs >= 5 else min(inits, 2)  # quick mode: a smoke test
    ts = split_unscaled.ts
    x = np.concatenate([ts[f"{p}_raw"] for p in ("train", "val", "test")]).reshape(-1, 1)
    x = x.astype("float32")
    arch = architectures.get("pointwise_relu_output")
    runs = []
    for k in range(inits):
        reproducibility.seed_everything(k)
        model = architectures.build_autoencoder(arch, 1)
        training.compile_autoencoder(model, arch)
        fit = training.fit_autoencoder(model, x, x, epochs=epochs, batch_size=32,
                                       early_stopping=False)
        dead = bool(np.all(model.predict(x, batch_size=4096, verbose=0) == 0))
        runs.append((model, fit, dead))
    n_dead = sum(d for _, _, d in runs)
    model, fit, dead = next((r for r in runs if r[2]), runs[0])  # show a dead one if any
    lines = ["Seed 002's pointwise model as written: Input(1) -> Dense(10, relu) -> Dense(1, relu), "
             f"raw values of the whole series, MSE, batch 32, no split ({epochs} epochs; the seed ran 50).",
             f"dead output unit (0 for every value) in {n_dead} of {inits} initialisations",
             f"the run shown: MSE loss first epoch {fit.history['loss'][0]:.1f}, last "
             f"{fit.history['loss'][-1]:.1f}; mean squared raw value {float(np.mean(x ** 2)):.1f}"]
    title = f"seed 002 recipe ({'dead output: flat loss' if dead else 'output alive'})"
    return Recipe(model, fit, lines, title, {"dead": n_dead, "inits": inits, "shown_dead": dead})


# Datasets whose seed document gave a training recipe worth reproducing as a pitfall.
SEED_RECIPES = {"synthetic": train_seed001, "nab": train_seed002}


def train_recipe(dataset: str, split_unscaled: Split, epochs: int = 20) -> Recipe | None:
    """Train the dataset's seed recipe, if its seed document has one; else None."""
    recipe = SEED_RECIPES.get(dataset)
    if recipe is None:
        print(f"The seed document of {dataset!r} gives no training recipe to reproduce here; "
              "its pitfalls are in notebook 07.")
        return None
    return recipe(split_unscaled, epochs=epochs)


def unreachable_share(X: np.ndarray, low: float = 0.0, high: float = 1.0) -> float:
    """Share of values a sigmoid output can never reproduce (outside [0, 1])."""
    X = np.asarray(X)
    return float(((X < low) | (X > high)).mean())


def mae_errors(model, X: np.ndarray) -> np.ndarray:
    recon = model.predict(X, batch_size=4096, verbose=0)
    return np.mean(np.abs(X - recon), axis=1)


def seed001_figures(model, split_unscaled: Split, facts: dict) -> dict:
    """Seed 001's evaluation: MAE per row, threshold at the 98th percentile of the
    *test* errors, scored on the test set."""
    errors = mae_errors(model, split_unscaled.X_test)
    thr = float(np.percentile(errors, 98))
    out = metrics.evaluate(split_unscaled.y_test, errors, thr)
    out.update(label="Seed 001 recipe: sigmoid output on unscaled data, MAE, validated on the "
                     "test set, 98th percentile of test errors",
               why="The sigmoid cannot reach the data's range, so errors measure the data's "
                   "size, not how unusual a row is.")
    return out


def seed002_figures(model, split_unscaled: Split, facts: dict) -> dict:
    """Seed 002's evaluation of its model, on the test part: squared error of each raw
    value, flagged above the 0.99 quantile of the scores."""
    x = split_unscaled.ts["test_raw"].reshape(-1, 1).astype("float32")
    errors = scoring.element_errors(model, x)[:, 0]
    thr = float(np.quantile(errors, 0.99))
    out = metrics.evaluate(split_unscaled.y_test, errors, thr)
    out.update(label="Seed 002 recipe: ReLU output unit on raw values, top 1% of scores flagged",
               why=seed002_why(facts))
    return out


def seed002_why(facts: dict) -> str:
    """Why seed 002's figure misleads, from what notebook 05 recorded: whether the
    model it saved (``shown_dead``) has a dead output unit."""
    dead, inits = facts.get("dead", "?"), facts.get("inits", "?")
    shown = facts.get("shown_dead")
    if shown is None:
        return ("A dead ReLU output unit gives 0 for every value; its score is then the squared "
                "value itself, so it flags the values farthest from 0.")
    count = f"The ReLU output was dead in {dead} of {inits} initialisations"
    if shown:
        return (f"{count}, the model scored here among them: its output is 0 for every value, so "
                "its score is the squared value itself and it flags the values farthest from 0.")
    return (f"{count}; the model scored here is alive, but it sees one value at a time, and the "
            "top 1% rule flags a fixed share of the points whatever the data holds.")


RECIPE_FIGURES = {"synthetic": seed001_figures, "nab": seed002_figures}


def self_scored_f1(y_pred) -> float:
    """Seed 002 scored its predictions against themselves: 1.0 whenever anything is
    flagged, 0.0 (``zero_division=0``) when nothing is."""
    return float(f1_score(y_pred, y_pred, zero_division=0))


def swapped_micro_precision(y_true, y_pred) -> float:
    """Seed 000's ``precision_score(preds, y_test, average='micro')``: with swapped
    arguments and micro-averaging over both classes, this is plain accuracy."""
    return float(precision_score(y_pred, y_true, average="micro"))


def best_f1_on_test(y_test, test_scores) -> float:
    """The F1 you get if you pick the threshold by looking at the test labels."""
    p, r, _ = precision_recall_curve(y_test, test_scores)
    return float(np.max(2 * p * r / np.maximum(p + r, 1e-12)))


def quantile_flags(scores, q: float = 0.99) -> np.ndarray:
    """Seed 002's rule: flag everything above the ``q`` quantile of the scores."""
    scores = np.asarray(scores)
    return (scores > np.quantile(scores, q)).astype(int)


def random_event_figures(y_test, groups, seed: int = 0, share: float = 0.01) -> dict:
    """Point-wise and event figures of a random score that flags ``share`` of the points."""
    y_test = np.asarray(y_test).astype(int)
    flags = quantile_flags(np.random.default_rng(seed).random(len(y_test)), 1 - share)
    out = events.scores(y_test, flags, groups)
    out["f1"] = float(f1_score(y_test, flags, zero_division=0))
    return out


def table(y_test, test_scores, threshold: float, seed_recipe: dict | None = None,
          groups=None, seed: int = 0) -> pd.DataFrame:
    """Every pitfall in one table: the number it prints, the honest number, and why
    the first one misleads. ``test_scores`` and ``threshold`` are the kit's chosen
    detector and its validation-chosen threshold; ``groups`` (a time series' series
    ids) adds the event-level pitfall."""
    y_test = np.asarray(y_test).astype(int)
    honest = metrics.evaluate(y_test, test_scores, threshold)
    y_pred = (np.asarray(test_scores) >= threshold).astype(int)
    rows = []
    if seed_recipe is not None:
        rows.append((seed_recipe["label"], "anomaly F1", seed_recipe["f1"], honest["f1"],
                     seed_recipe["why"]))
    q_flags = quantile_flags(test_scores)
    normal_share = metrics.majority_accuracy(y_test)
    rows += [
        (f"Accuracy on data that is {normal_share:.0%} normal", "accuracy", honest["accuracy"],
         honest["f1"], f"Calling everything normal already scores {normal_share:.3f}."),
        ("Predictions scored against themselves (seed 002)", "F1", self_scored_f1(y_pred),
         honest["f1"], "Comparing a thing with itself always agrees: F1 is 1.0 whenever anything "
         "is flagged" + ("" if y_pred.any() else " (0 here only because nothing is: "
                         "zero_division=0)") + "; no label is used."),
        ("precision_score(preds, y_test, average='micro') (seed 000)", "'precision'",
         swapped_micro_precision(y_test, y_pred), honest["precision"],
         "Swapped arguments plus micro-averaging over both classes is just accuracy."),
        ("Threshold picked on the test set", "anomaly F1", best_f1_on_test(y_test, test_scores),
         honest["f1"], "Tuning on the test set makes it a second validation set; the "
         "figure no longer predicts new data."),
        ("Threshold at the 0.99 quantile of the scores (seed 002)", "anomaly F1",
         float(f1_score(y_test, q_flags, zero_division=0)), honest["f1"],
         f"It flags {q_flags.mean():.1%} of the data whatever the data holds; here "
         f"{y_test.mean():.1%} is anomalous."),
    ]
    if groups is not None:
        rnd = random_event_figures(y_test, groups, seed)
        rows.append(("Point-adjusted F1 of a random score flagging 1% of the points",
                     "point-adjusted F1", rnd["pa_f1"], rnd["f1"],
                     f"One lucky flag counts a whole event as found: chance alone finds "
                     f"{rnd['events_found']} of {rnd['events']} events. Compare every model's "
                     "event figures with the random baseline's."))
    return pd.DataFrame(rows, columns=["pitfall", "figure", "what it reports",
                                       "honest figure (anomaly class)", "why it misleads"])


def recipe_figures(dataset: str, state, split_unscaled: Split) -> dict | None:
    """Test figures of the seed recipe trained in notebook 05, if this dataset has one."""
    if dataset not in RECIPE_FIGURES:
        return None
    facts = state.load_json("recipe") if state.has("recipe", ".json") else {}
    return RECIPE_FIGURES[dataset](state.load_model("trained", SEED_RECIPE), split_unscaled, facts)


# Seed 004's only figure: accuracy 0.893 on test data that was 89.2% normal.
SEED004 = {"accuracy": 0.8933, "majority": 0.8922}


def accuracy_table(headline: pd.DataFrame, y_test) -> pd.DataFrame:
    """Seed 004's pitfall for every detector at its chosen threshold: accuracy next to what
    calling every row normal scores (the majority-class accuracy), the balanced accuracy
    (the mean of the recall of each class: 0.5 for flagging nothing or everything) and
    PR-AUC."""
    t = headline
    normal_recall = t["tn"] / (t["tn"] + t["fp"]).where(t["tn"] + t["fp"] > 0)
    anomaly_recall = t["tp"] / (t["tp"] + t["fn"]).where(t["tp"] + t["fn"] > 0)
    return pd.DataFrame({
        "accuracy": t["accuracy"],
        "calling all normal": metrics.majority_accuracy(y_test),
        "accuracy gain": t["accuracy"] - metrics.majority_accuracy(y_test),
        "balanced accuracy": (normal_recall + anomaly_recall) / 2,
        "PR-AUC": t["pr_auc"],
    }, index=t.index)


def accuracy_text(table: pd.DataFrame) -> str:
    """What the accuracy table says, from this run's figures."""
    majority = float(table["calling all normal"].iloc[0])
    below = [m for m in table.index if table.at[m, "accuracy"] <= majority]
    best = table["accuracy"].idxmax()
    text = (f"Seed 004 reported accuracy {SEED004['accuracy']:.3f} and concluded the model was "
            f"\"NOT doing a good job\": its test data was {SEED004['majority']:.1%} normal, so "
            f"calling every row normal scored {SEED004['majority']:.3f}. Here calling every test "
            f"row normal scores {majority:.3f}; the most accurate detector, {best}, "
            f"{table.at[best, 'accuracy']:.3f}.")
    if below:
        text += (f" {len(below)} of {len(table)} detectors are no more accurate than that "
                 f"({', '.join(below)}).")
    return text + (" Balanced accuracy and PR-AUC do not reward calling everything normal: "
                   "read them instead.")
