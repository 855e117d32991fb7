"""Autoencoders trained again with other seeds: how much their figures owe to the seed.

A training seed draws the initial weights and the order of the batches. Notebook 05
trains with ``cfg.seeds - 1`` more seeds, on the same data and split with the same
settings, every autoencoder that 07 reports on or compares: the dataset's own (its
``focus``), and the best and the next best by validation PR-AUC, which 07's "ahead of
the next" line compares (:func:`compared`). Notebook 07 scores every one of them as it
scores the run's models and reports the mean and the range. A gap between two detectors
that is smaller than that range may be the seed's doing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import detectors, metrics, thresholds
from .autoencoder import Autoencoder


def other_seeds(cfg) -> list[int]:
    """The seeds besides the run's own: the next ``cfg.seeds - 1`` integers."""
    return [cfg.seed + i for i in range(1, cfg.seeds)]


def key(name: str, seed: int) -> str:
    return f"{name}-seed{seed}"


def diverged(scores) -> bool:
    """Whether a training diverged: its scores are not all finite (its weights went to
    NaN or infinity). A training with another seed can, where the run's own did not; 07
    leaves it out of the ranges and says so."""
    return not np.isfinite(np.asarray(scores, dtype=float)).all()


def pr_auc(y, scores) -> float:
    """PR-AUC of ``scores`` against labels ``y``, computed as 07's table computes it
    (``summary.detector_rows``); NaN for a training that diverged."""
    if diverged(scores):
        return float("nan")
    return metrics.evaluate(y, np.asarray(scores), threshold=np.inf)["pr_auc"]


def left_out(table: pd.DataFrame, names=None) -> str:
    """The words on the trainings of a (model, seed) or (seed) table that diverged
    (``table.attrs["diverged"]``, as :func:`validation_by_seed`, :func:`figures` and
    :func:`baselines` record them): empty when none did."""
    lost = list(table.attrs.get("diverged", []))
    if names is not None:
        lost = [i for i in lost if i[0] in names]
    if not lost:
        return ""
    which = [f"{i[0]} with seed {i[1]}" if isinstance(i, tuple) else f"seed {i}" for i in lost]
    if len(which) == 1:
        return f" ({which[0]} diverged: its scores are not finite, so it is left out)"
    return (f" ({', '.join(which[:-1])} and {which[-1]} diverged: their scores are not finite, "
            "so they are left out)")


def validation_pr_auc(fitted: dict, split) -> dict[str, float]:
    """Validation PR-AUC of each fitted detector (name -> detector)."""
    return {name: pr_auc(split.y_val, det.score_samples(split, "val")) for name, det in fitted.items()}


def compared(focus: str, val_pr_auc: dict[str, float]) -> list[str]:
    """The autoencoders that need other seeds: the dataset's own (``focus``), then the best
    and the next best by validation PR-AUC (name -> figure, in the run's order; a tie
    goes to the earlier, as 07's choice does)."""
    ranked = sorted(val_pr_auc, key=lambda name: -np.nan_to_num(val_pr_auc[name], nan=-np.inf))  # stable
    return list(dict.fromkeys([focus, *ranked[:2]]))


def train(state, split, cfg, batch_size: int, names: list[str]) -> dict[str, dict[int, Autoencoder]]:
    """Train each autoencoder in ``names`` with every other seed (all side by side, as 05
    trains its models) and save each in the run folder; name -> seed -> fitted detector.
    Each builds its model from the registry, so the seed draws its initial weights too."""
    untrained = {(name, s): detectors.build(name, seed=s, threads=cfg.threads, epochs=cfg.epochs,
                                            batch_size=batch_size)
                 for name in names for s in other_seeds(cfg)}
    fitted = detectors.fit_all(untrained, split, jobs=cfg.jobs) if untrained else {}
    out: dict[str, dict[int, Autoencoder]] = {}
    for (name, s), det in fitted.items():
        det.save(state, key=key(name, s))
        out.setdefault(name, {})[s] = det
    return out


def validation_by_seed(state, split, cfg, val_scores: dict) -> pd.DataFrame:
    """Validation PR-AUC of each autoencoder in ``val_scores`` (name -> the validation
    scores of its training with the run's seed, which 07 already holds) and of the
    trainings with other seeds that 05 saved for it: rows (model, seed)."""
    rows, lost = [], []
    for name, scores in val_scores.items():
        others = {s: Autoencoder.load(state, key(name, s)) for s in other_seeds(cfg)
                  if state.path("trained", ".json", key(name, s)).exists()}
        by_seed = {cfg.seed: scores} | {s: det.score_samples(split, "val") for s, det in others.items()}
        for s, got in by_seed.items():
            if diverged(got):
                lost.append((name, s))
            rows.append({"model": name, "seed": s, "val_pr_auc": pr_auc(split.y_val, got)})
    table = pd.DataFrame(rows).set_index(["model", "seed"])
    table.attrs["diverged"] = lost
    return table


def lead_text(table: pd.DataFrame, best: str, second: str) -> str:
    """Whether ``best`` leads ``second`` by more than the seed moves them
    (``validation_by_seed``): beyond seed noise only when ``best``'s lowest validation
    PR-AUC over the seeds lies above ``second``'s highest."""
    a, b = table.loc[best, "val_pr_auc"].dropna(), table.loc[second, "val_pr_auc"].dropna()
    lost = left_out(table, (best, second))
    if min(len(a), len(b)) < 2:
        return f"seed noise not measured (one seed{' left' if lost else ''}){lost}"
    verdict = "beyond seed noise" if a.min() > b.max() else "within seed noise"
    return (f"over {min(len(a), len(b))} seeds {best}'s validation PR-AUC ranged {a.min():.3f} to "
            f"{a.max():.3f}, {second}'s {b.min():.3f} to {b.max():.3f}: {verdict}{lost}")


def _test_figures(det, split, method: str, scores: dict | None = None) -> dict:
    """Test ROC-AUC, PR-AUC and F1 of a fitted detector at threshold ``method``, set
    from its own training and validation scores (``scores``, part -> scores, when the
    caller holds them already)."""
    scores = scores or {part: det.score_samples(split, part) for part in ("train", "val", "test")}
    if any(diverged(s) for s in scores.values()):  # the callers record it (attrs["diverged"])
        return {"roc_auc": np.nan, "pr_auc": np.nan, "f1": np.nan}
    inp = thresholds.ThresholdInputs(np.asarray(scores["train"]), np.asarray(scores["val"]),
                                     split.y_val, split.train_anomaly_share)
    row = metrics.evaluate(split.y_test, scores["test"], thresholds.compute(inp, [method])[method])
    return {"roc_auc": row["roc_auc"], "pr_auc": row["pr_auc"], "f1": row["f1"]}


def figures(state, split, cfg, method: str, main: Autoencoder, main_scores: dict) -> pd.DataFrame:
    """Test ROC-AUC, PR-AUC and F1 (at threshold ``method``, set from each model's own
    training and validation scores) of the run's model ``main`` (whose scores, part ->
    scores, 07 holds: ``main_scores``) and of every other seed's, one row per seed."""
    models = {cfg.seed: main} | {s: Autoencoder.load(state, key(main.name, s)) for s in other_seeds(cfg)}
    table = pd.DataFrame([{"seed": s, **_test_figures(det, split, method, main_scores if s == cfg.seed else None),
                           "epochs run": det.epochs_run_}
                          for s, det in models.items()]).set_index("seed")
    table.attrs["diverged"] = table.index[table["roc_auc"].isna()].tolist()  # scores not finite
    return table


def baselines(split, cfg, method: str, fitted: dict, scores: dict) -> pd.DataFrame:
    """The same figures for every baseline in ``fitted`` (name -> fitted with the run's
    seed, whose scores 07 holds: ``scores``, name -> part -> scores), refitted with each
    other seed: rows (model, seed). Baselines train in seconds, so 07 refits them itself;
    one without randomness shows no spread."""
    rows = []
    for name, det in fitted.items():
        rows.append({"model": name, "seed": cfg.seed, **_test_figures(det, split, method, scores[name])})
        for s in other_seeds(cfg):
            again = detectors.build(name, seed=s, threads=cfg.threads).fit(split)
            rows.append({"model": name, "seed": s, **_test_figures(again, split, method)})
    table = pd.DataFrame(rows).set_index(["model", "seed"])
    table.attrs["diverged"] = table.index[table["roc_auc"].isna()].tolist()  # scores not finite
    return table


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
    lost = left_out(by_seed)
    if by_seed["pr_auc"].count() < 2:
        return f"Seed noise: not measured (seeds={seeds}){lost}."
    own = spread(by_seed)
    text = (f"Seed noise: over {by_seed['pr_auc'].count()} seeds{lost} {focus}'s test PR-AUC ranged "
            f"{own.at['pr_auc', 'min']:.3f} to {own.at['pr_auc', 'max']:.3f} and ROC-AUC "
            f"{own.at['roc_auc', 'min']:.3f} to {own.at['roc_auc', 'max']:.3f}")
    moved = ranges(others) if len(others) else None
    if moved is not None and len(moved):
        widest = moved["pr_auc range"].idxmax()
        text += (f"; among the other detectors {widest}'s PR-AUC moved most, "
                 f"{moved.at[widest, 'pr_auc min']:.3f} to {moved.at[widest, 'pr_auc max']:.3f}")
        text += left_out(others)
    text += ". A gap between detectors smaller than these ranges may be the seed's doing."
    if best != focus:
        text += (f"\n(These ranges are those of {focus}, the dataset's own autoencoder; {best}'s "
                 "seeds are in the lines on the best autoencoder above.)")
    return text
