"""Grid search over training hyperparameters (seed 003), on validation data only.

Seed 003 ranked its models by the *gap* between the reconstruction error of the
tuning digit and that of normal digits. The kit ranks by that gap and by
validation ROC-AUC, and shows that the model with the lowest reconstruction error
is not necessarily the best detector.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from . import architectures, noise, reproducibility, scoring, training
from .parallel import starmap
from .datasets.base import Split

KEYS = ("learning_rate", "weight_decay", "epochs", "batch_size")
# keys a grid may add: "memory", MemAE's number of memory slots (seed 004's sweep)
OPTIONAL = ("memory",)
SCORES = "val scores"  # each setting's validation scores, while the noise is measured
NEAR_BEST = "within noise of best"


def combinations(grid: dict, quick: bool = False) -> list[dict]:
    """Every combination of the grid's values; quick mode keeps the first of each."""
    missing = [k for k in KEYS if k not in grid]
    if missing:
        raise ValueError(f"tuning grid lacks {missing}; it needs {', '.join(KEYS)}")
    unknown = sorted(set(grid) - set(KEYS) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"tuning grid has unknown keys {unknown}; valid: "
                         f"{', '.join(KEYS + OPTIONAL)}")
    keys = setting_keys(grid)
    values = [tuple(grid[k])[:1] if quick else tuple(grid[k]) for k in keys]
    return [dict(zip(keys, combo)) for combo in itertools.product(*values)]


def setting_keys(grid_or_results) -> list[str]:
    """The keys a setting has: the four training keys and the optional ones present."""
    return [*KEYS, *(k for k in OPTIONAL if k in grid_or_results)]


def models_for(models, quick: bool = False) -> list[str]:
    """The models a grid covers: all of them, or the first two in quick mode."""
    return list(models)[:2] if quick else list(models)


def evaluate_one(model_name: str, params: dict, split: Split, seed: int,
                 threads: int = 2) -> dict:
    """Train one model with one setting (fixed epochs, no early stopping) and score
    it on the validation set."""
    reproducibility.seed_everything(seed, threads)
    arch = architectures.get(model_name)
    if "memory" in params:
        if arch.layers != "memae":
            raise ValueError(f"the grid's 'memory' sets MemAE's memory slots; {model_name} has no "
                             "memory (tune a model with layers='memae')")
        arch = replace(arch, memory=int(params["memory"]))
    model = architectures.build_autoencoder(arch, split.X_train.shape[1])
    training.compile_autoencoder(model, arch, params["learning_rate"], params["weight_decay"])
    start = time.perf_counter()
    model.fit(split.X_train, split.X_train, epochs=params["epochs"],
              batch_size=params["batch_size"], shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    errors = scoring.element_errors(model, split.inputs("val"))
    mse, score = errors.mean(axis=1), split.to_scores("val", errors)
    normal, anomalous = mse[split.row_labels("val") == 0], mse[split.row_labels("val") == 1]
    return {"model": model_name, **params,
            "val MSE normal": float(normal.mean()), "val MSE anomalies": float(anomalous.mean()),
            "gap": float(anomalous.mean() - normal.mean()),
            "val ROC-AUC": float(roc_auc_score(split.y_val, score)),
            "val PR-AUC": float(average_precision_score(split.y_val, score)),
            "seconds": round(seconds, 2), SCORES: np.asarray(score, dtype=float)}


def run(models, grid: dict, split: Split, seed: int, quick: bool = False,
        max_rows: int | None = None, jobs: int = 1, threads: int = 2) -> pd.DataFrame:
    """Every model under every setting. ``max_rows`` trains on a random subsample of
    the training rows (the same for every setting), so that a grid fits a laptop's
    time; the ranking is what matters here, not the last digit of each score.

    ``jobs`` > 1 trains that many settings at once, in separate processes
    (``parallel.starmap``); every setting seeds itself, so the results do not
    depend on ``jobs``."""
    if max_rows is not None and len(split.X_train) > max_rows:
        keep = np.random.default_rng(seed).choice(len(split.X_train), max_rows, replace=False)
        split = replace(split, X_train=split.X_train[np.sort(keep)])
    rows = starmap(evaluate_one, [(m, p, split, seed, threads) for m in models_for(models, quick)
                                  for p in combinations(grid, quick)], jobs)
    results = pd.DataFrame(rows)
    results[NEAR_BEST] = near_best(results, split)
    return results.drop(columns=SCORES)


def near_best(results: pd.DataFrame, split: Split) -> list[bool]:
    """For each setting, whether its validation ROC-AUC lies within the noise of the best
    one's: the 95% interval of the gap, over paired bootstrap draws of the validation
    rows (``helpers.noise``), holds 0. The best setting itself is marked too."""
    best = results["val ROC-AUC"].idxmax()
    block = noise.block_length(split.y_val, split.groups("val"))
    boot = noise.bootstrapped(split.y_val, dict(results[SCORES]), n=200, block=block)
    return [i == best or not noise.beyond_noise(*noise.interval(boot[best]["roc_auc"] - boot[i]["roc_auc"]))
            for i in results.index]


def rankings(results: pd.DataFrame, top: int = 5) -> dict[str, pd.DataFrame]:
    """The top settings under three rules: lowest normal error (what plain
    autoencoder tuning optimises), seed 003's gap, and validation ROC-AUC."""
    return {
        "lowest normal MSE": results.nsmallest(top, "val MSE normal"),
        "largest gap (seed 003)": results.nlargest(top, "gap"),
        "highest validation ROC-AUC": results.nlargest(top, "val ROC-AUC"),
    }


def lowest_mse_vs_best(results: pd.DataFrame) -> pd.DataFrame:
    """The best reconstructor next to the best detector."""
    a = results.loc[results["val MSE normal"].idxmin()]
    b = results.loc[results["val ROC-AUC"].idxmax()]
    return pd.DataFrame({"lowest normal MSE": a, "highest validation ROC-AUC": b}).T[
        ["model", *setting_keys(results), "val MSE normal", "gap", "val ROC-AUC",
         *([NEAR_BEST] if NEAR_BEST in results else [])]]


def verdict(results: pd.DataFrame) -> str:
    """One sentence on whether the best reconstructor is also the best detector."""
    a = results.loc[results["val MSE normal"].idxmin()]
    b = results.loc[results["val ROC-AUC"].idxmax()]
    if a.name == b.name:
        return ("Here the setting with the lowest normal error is also the best detector; "
                "on this grid the two goals happen to agree. Compare the other rankings above: "
                "they need not.")
    if a["val ROC-AUC"] >= b["val ROC-AUC"]:
        return (f"Here the setting with the lowest normal error ({a['model']}) ties for the "
                f"highest validation ROC-AUC ({a['val ROC-AUC']:.3f}); on this grid the two goals "
                "happen to agree. Compare the other rankings above: they need not.")
    if NEAR_BEST in results and bool(a[NEAR_BEST]):
        return (f"The best reconstructor ({a['model']}, normal MSE {a['val MSE normal']:.4f}) reaches "
                f"validation ROC-AUC {a['val ROC-AUC']:.3f}, the best detector ({b['model']}) "
                f"{b['val ROC-AUC']:.3f}: a gap within noise, so on this grid the lowest error "
                "did not pick a detector measurably weaker than the best.")
    return (f"The best reconstructor ({a['model']}, normal MSE {a['val MSE normal']:.4f}) reaches "
            f"validation ROC-AUC {a['val ROC-AUC']:.3f}; the best detector ({b['model']}, normal "
            f"MSE {b['val MSE normal']:.4f}) reaches {b['val ROC-AUC']:.3f}, a gap beyond noise. "
            "Tuning for the lowest error would have picked the weaker detector.")
