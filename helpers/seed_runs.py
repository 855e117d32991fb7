"""The dataset's own autoencoder trained again with other seeds: how much its figures
owe to the seed.

A training seed draws the initial weights and the order of the batches. Notebook 05
trains the dataset's own autoencoder (its ``focus``) with ``cfg.seeds - 1`` more seeds,
on the same data and split with the same settings; notebook 07 scores every one of them
as it scores the run's models and reports the mean and the range. A gap between two
detectors that is smaller than that range may be the seed's doing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import datasets, detectors, metrics, thresholds
from .autoencoder import Autoencoder


def other_seeds(cfg) -> list[int]:
    """The seeds besides the run's own: the next ``cfg.seeds - 1`` integers."""
    return [cfg.seed + i for i in range(1, cfg.seeds)]


def key(name: str, seed: int) -> str:
    return f"{name}-seed{seed}"


def train(state, split, cfg, batch_size: int) -> dict[int, Autoencoder]:
    """Train the dataset's own autoencoder with every other seed (side by side, as 05
    trains its models) and save each in the run folder; seed -> fitted detector. Each
    builds its model from the registry, so the seed draws its initial weights too."""
    name = datasets.focus(cfg.dataset, cfg.models)
    untrained = {s: detectors.build(name, seed=s, threads=cfg.threads, epochs=cfg.epochs,
                                    batch_size=batch_size) for s in other_seeds(cfg)}
    fitted = dict(zip(untrained, detectors.fit_all(untrained, split, jobs=cfg.threads).values())) \
        if untrained else {}
    for s, det in fitted.items():
        det.save(state, key=key(name, s))
    return fitted


def _test_figures(det, split, method: str) -> dict:
    """Test ROC-AUC, PR-AUC and F1 of a fitted detector at threshold ``method``, set
    from its own training and validation scores."""
    scores = {part: det.score_samples(split, part) for part in ("train", "val", "test")}
    inp = thresholds.ThresholdInputs(np.asarray(scores["train"]), np.asarray(scores["val"]),
                                     split.y_val, split.train_anomaly_share)
    row = metrics.evaluate(split.y_test, scores["test"], thresholds.compute(inp, [method])[method])
    return {"roc_auc": row["roc_auc"], "pr_auc": row["pr_auc"], "f1": row["f1"]}


def figures(state, split, cfg, method: str, main: Autoencoder) -> pd.DataFrame:
    """Test ROC-AUC, PR-AUC and F1 (at threshold ``method``, set from each model's own
    training and validation scores) of the run's model ``main`` and of every other
    seed's, one row per seed."""
    models = {cfg.seed: main} | {s: Autoencoder.load(state, key(main.name, s)) for s in other_seeds(cfg)}
    return pd.DataFrame([{"seed": s, **_test_figures(det, split, method), "epochs run": det.epochs_run_}
                         for s, det in models.items()]).set_index("seed")


def baselines(split, cfg, method: str, fitted: dict) -> pd.DataFrame:
    """The same figures for every baseline in ``fitted`` (name -> fitted with the run's
    seed), refitted with each other seed: rows (model, seed). Baselines train in
    seconds, so 07 refits them itself; one without randomness shows no spread."""
    rows = []
    for name, det in fitted.items():
        rows.append({"model": name, "seed": cfg.seed, **_test_figures(det, split, method)})
        for s in other_seeds(cfg):
            again = detectors.build(name, seed=s, threads=cfg.threads).fit(split)
            rows.append({"model": name, "seed": s, **_test_figures(again, split, method)})
    return pd.DataFrame(rows).set_index(["model", "seed"])


def spread(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, lowest and highest of each figure over the seeds of ``figures``."""
    cols = ["roc_auc", "pr_auc", "f1"]
    return pd.DataFrame({"mean": table[cols].mean(), "min": table[cols].min(),
                         "max": table[cols].max(), "range": table[cols].max() - table[cols].min()})


def ranges(table: pd.DataFrame) -> pd.DataFrame:
    """Per model of a (model, seed) table: the range (highest - lowest) of each figure
    over the seeds, with the lowest and highest PR-AUC."""
    g = table.groupby(level="model", sort=False)
    out = (g.max() - g.min())[["roc_auc", "pr_auc", "f1"]].add_suffix(" range")
    return out.assign(**{"pr_auc min": g["pr_auc"].min(), "pr_auc max": g["pr_auc"].max()})


def sentence(by_seed: pd.DataFrame, others: pd.DataFrame, focus: str, best: str,
             seeds) -> str:
    """07's words on the seed's noise: how far the dataset's own autoencoder's test figures
    moved over its seeds (``figures``), and the detector among ``others`` (``baselines``,
    refitted with the same seeds) whose PR-AUC moved most."""
    if len(by_seed) < 2:
        return f"Seed noise: not measured (seeds={seeds})."
    own = spread(by_seed)
    text = (f"Seed noise: over {len(by_seed)} seeds {focus}'s test PR-AUC ranged "
            f"{own.at['pr_auc', 'min']:.3f} to {own.at['pr_auc', 'max']:.3f} and ROC-AUC "
            f"{own.at['roc_auc', 'min']:.3f} to {own.at['roc_auc', 'max']:.3f}")
    moved = ranges(others) if len(others) else None
    if moved is not None and len(moved):
        widest = moved["pr_auc range"].idxmax()
        text += (f"; among the other detectors {widest}'s PR-AUC moved most, "
                 f"{moved.at[widest, 'pr_auc min']:.3f} to {moved.at[widest, 'pr_auc max']:.3f}")
    text += ". A gap between detectors smaller than these ranges may be the seed's doing."
    if best != focus:
        text += f"\n(The seeds measure {focus}, the dataset's own autoencoder; {best} trained with one seed.)"
    return text
