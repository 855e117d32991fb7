"""The dataset's own autoencoder trained with the run's other seeds, and their spread."""
from dataclasses import replace

from helpers import datasets, detectors, seed_runs
from helpers.runstate import RunState


def test_other_seeds_train_save_and_spread(cfg):
    cfg = replace(cfg, seeds=2, models=["kit_dense"], epochs=2)
    assert seed_runs.other_seeds(cfg) == [2] and seed_runs.other_seeds(replace(cfg, seeds=1)) == []
    state = RunState.start(cfg)
    raw = datasets.load("synthetic", seed=0, quick=True)
    split = datasets.split("synthetic", raw, seed=0, quick=True)
    again = seed_runs.train(state, split, cfg, batch_size=256)
    assert list(again) == [2] and again[2].seed == 2
    assert state.path("trained", ".json", seed_runs.key("kit_dense", 2)).exists()
    main = detectors.build("kit_dense", seed=cfg.seed, epochs=2).fit(split)
    table = seed_runs.figures(state, split, cfg, "best_f1", main)
    assert list(table.index) == [1, 2]
    assert table.loc[1, "roc_auc"] != table.loc[2, "roc_auc"]  # another seed, another model
    spread = seed_runs.spread(table)
    assert spread.loc["roc_auc", "range"] == abs(table.loc[1, "roc_auc"] - table.loc[2, "roc_auc"])


def test_baselines_are_refitted_with_every_seed_and_only_random_ones_move(cfg):
    cfg = replace(cfg, seeds=3)
    raw = datasets.load("synthetic", seed=0, quick=True)
    split = datasets.split("synthetic", raw, seed=0, quick=True)
    fitted = {n: detectors.build(n, seed=cfg.seed).fit(split) for n in ("isolation_forest", "mahalanobis")}
    table = seed_runs.baselines(split, cfg, "best_f1", fitted)
    assert list(table.index) == [(n, s) for n in fitted for s in (1, 2, 3)]
    r = seed_runs.ranges(table)
    assert r.loc["mahalanobis", "pr_auc range"] == 0  # no randomness in it
    assert r.loc["isolation_forest", "roc_auc range"] > 0
    assert r.loc["isolation_forest", "pr_auc min"] <= r.loc["isolation_forest", "pr_auc max"]
