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


def test_the_seed_sentence_names_the_own_models_range_and_the_detector_that_moved_most():
    import pandas as pd

    own = pd.DataFrame({"roc_auc": [0.9, 0.8], "pr_auc": [0.5, 0.3], "f1": [0.4, 0.2]}, index=[1, 2])
    others = pd.DataFrame({"roc_auc": [0.7, 0.7, 0.6, 0.65], "pr_auc": [0.2, 0.2, 0.1, 0.4],
                           "f1": [0.1] * 4},
                          index=pd.MultiIndex.from_tuples([("pca", 1), ("pca", 2), ("devnet", 1),
                                                           ("devnet", 2)], names=["model", "seed"]))
    text = seed_runs.sentence(own, others, "kit_dense", "kit_dense", 2)
    assert text.startswith("Seed noise: over 2 seeds kit_dense's test PR-AUC ranged 0.300 to 0.500 "
                           "and ROC-AUC 0.800 to 0.900; among the other detectors devnet's PR-AUC "
                           "moved most, 0.100 to 0.400.")
    assert "seed_deep trained with one seed" in seed_runs.sentence(own, others, "kit_dense",
                                                                   "seed_deep", 2)
    assert seed_runs.sentence(own.iloc[:1], others, "kit_dense", "kit_dense", 1) == \
        "Seed noise: not measured (seeds=1)."
