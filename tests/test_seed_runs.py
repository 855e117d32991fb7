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
    again = seed_runs.train(state, split, cfg, batch_size=256, names=["kit_dense"])
    assert list(again) == ["kit_dense"] and list(again["kit_dense"]) == [2]
    assert again["kit_dense"][2].seed == 2
    assert state.path("trained", ".json", seed_runs.key("kit_dense", 2)).exists()
    main = detectors.build("kit_dense", seed=cfg.seed, epochs=2).fit(split)
    main_scores = {part: main.score_samples(split, part) for part in ("train", "val", "test")}
    table = seed_runs.figures(state, split, cfg, "best_f1", main, main_scores)
    assert list(table.index) == [1, 2]
    assert table.loc[1].drop("epochs run").to_dict() == seed_runs._test_figures(main, split, "best_f1")
    assert table.loc[1, "roc_auc"] != table.loc[2, "roc_auc"]  # another seed, another model
    spread = seed_runs.spread(table)
    assert spread.loc["roc_auc", "range"] == abs(table.loc[1, "roc_auc"] - table.loc[2, "roc_auc"])
    val = seed_runs.validation_by_seed(state, split, cfg, {"kit_dense": main.score_samples(split, "val")})
    assert list(val.index) == [("kit_dense", 1), ("kit_dense", 2)]
    assert val.loc[("kit_dense", 1), "val_pr_auc"] == seed_runs.validation_pr_auc({"kit_dense": main},
                                                                                  split)["kit_dense"]
    assert val.loc[("kit_dense", 2), "val_pr_auc"] == seed_runs.validation_pr_auc(
        {"kit_dense": again["kit_dense"][2]}, split)["kit_dense"]


def test_the_seeds_cover_the_own_model_and_the_two_that_07_compares():
    assert seed_runs.compared("kit_dense", {"kit_dense": 0.5, "seed_deep": 0.7, "seed_simple": 0.6}) \
        == ["kit_dense", "seed_deep", "seed_simple"]
    # a tie keeps the run's order, as 07's idxmax does
    assert seed_runs.compared("kit_dense", {"kit_dense": 0.7, "seed_deep": 0.5, "seed_simple": 0.5}) \
        == ["kit_dense", "seed_deep"]
    assert seed_runs.compared("kit_dense", {"kit_dense": 0.7}) == ["kit_dense"]
    assert seed_runs.compared("kit_dense", {"seed_deep": 0.4, "seed_simple": 0.6}) == \
        ["kit_dense", "seed_simple", "seed_deep"]


def test_a_lead_is_beyond_seed_noise_only_when_the_seed_ranges_do_not_overlap():
    import pandas as pd

    def table(a, b):
        return pd.DataFrame({"val_pr_auc": a + b}, index=pd.MultiIndex.from_tuples(
            [("a", s) for s in range(len(a))] + [("b", s) for s in range(len(b))],
            names=["model", "seed"]))

    assert seed_runs.lead_text(table([0.6, 0.7, 0.65], [0.4, 0.5, 0.55]), "a", "b") == \
        "over 3 seeds a's validation PR-AUC ranged 0.600 to 0.700, b's 0.400 to 0.550: beyond seed noise"
    assert seed_runs.lead_text(table([0.6, 0.7], [0.4, 0.62]), "a", "b").endswith(
        "b's 0.400 to 0.620: within seed noise")
    assert seed_runs.lead_text(table([0.6], [0.4]), "a", "b") == "seed noise not measured (one seed)"


def test_baselines_are_refitted_with_every_seed_and_only_random_ones_move(cfg):
    cfg = replace(cfg, seeds=3)
    raw = datasets.load("synthetic", seed=0, quick=True)
    split = datasets.split("synthetic", raw, seed=0, quick=True)
    fitted = {n: detectors.build(n, seed=cfg.seed).fit(split) for n in ("isolation_forest", "mahalanobis")}
    scores = {n: {part: det.score_samples(split, part) for part in ("train", "val", "test")}
              for n, det in fitted.items()}
    table = seed_runs.baselines(split, cfg, "best_f1", fitted, scores)
    assert list(table.index) == [(n, s) for n in fitted for s in (1, 2, 3)]
    r = seed_runs.ranges(table)
    assert r.loc["mahalanobis", "pr_auc range"] == 0  # no randomness in it
    assert r.loc["isolation_forest", "roc_auc range"] > 0
    assert r.loc["isolation_forest", "pr_auc min"] <= r.loc["isolation_forest", "pr_auc max"]
    for n, det in fitted.items():  # the run's seed's row, from the scores given
        assert table.loc[(n, 1)].to_dict() == seed_runs._test_figures(det, split, "best_f1")


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
    assert "(These ranges are those of kit_dense, the dataset's own autoencoder; seed_deep's seeds " \
           "are in the lines on the best autoencoder above.)" in seed_runs.sentence(
               own, others, "kit_dense", "seed_deep", 2)
    assert seed_runs.sentence(own.iloc[:1], others, "kit_dense", "kit_dense", 1) == \
        "Seed noise: not measured (seeds=1)."


def test_a_training_that_diverged_with_another_seed_is_left_out_and_named():
    import numpy as np
    import pandas as pd

    assert seed_runs.diverged([0.1, np.nan]) and seed_runs.diverged([np.inf]) and not seed_runs.diverged([0.1])
    assert np.isnan(seed_runs.pr_auc(np.array([0, 1]), [0.2, np.nan]))
    assert seed_runs.compared("a", {"a": 0.5, "b": np.nan, "c": 0.6}) == ["a", "c"]  # never ranked first
    val = pd.DataFrame({"val_pr_auc": [0.6, 0.7, np.nan, 0.4, 0.5, 0.45]}, index=pd.MultiIndex.from_tuples(
        [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2), ("b", 3)], names=["model", "seed"]))
    val.attrs["diverged"] = [("a", 3)]
    assert seed_runs.lead_text(val, "a", "b") == (
        "over 2 seeds a's validation PR-AUC ranged 0.600 to 0.700, b's 0.400 to 0.500: beyond seed "
        "noise (a with seed 3 diverged: its scores are not finite, so it is left out)")
    own = pd.DataFrame({"roc_auc": [0.9, np.nan, 0.8], "pr_auc": [0.5, np.nan, 0.3],
                        "f1": [0.4, np.nan, 0.2]}, index=[1, 2, 3])
    own.attrs["diverged"] = [2]
    text = seed_runs.sentence(own, own.iloc[:0], "kit_dense", "kit_dense", 3)
    assert text.startswith("Seed noise: over 2 seeds (seed 2 diverged: its scores are not finite, so "
                           "it is left out) kit_dense's test PR-AUC ranged 0.300 to 0.500")
    assert seed_runs.spread(own).loc["pr_auc", "range"] == 0.2
    own.attrs["diverged"] = [2, 3]
    assert seed_runs.left_out(own) == (" (seed 2 and seed 3 diverged: their scores are not finite, so "
                                       "they are left out)")


def test_the_figures_of_a_diverged_training_are_missing_not_an_error(cfg):
    import numpy as np

    raw = datasets.load("synthetic", seed=0, quick=True)
    split = datasets.split("synthetic", raw, seed=0, quick=True)
    det = detectors.build("mahalanobis", seed=1).fit(split)
    scores = {part: det.score_samples(split, part) for part in ("train", "val", "test")}
    scores["test"] = np.full_like(scores["test"], np.nan)
    assert all(np.isnan(v) for v in seed_runs._test_figures(det, split, "best_f1", scores).values())
    table = seed_runs.baselines(split, replace(cfg, seeds=2), "best_f1", {"mahalanobis": det},
                                {"mahalanobis": scores})
    assert table.attrs["diverged"] == [("mahalanobis", 1)]  # the scores given were not finite
    assert "mahalanobis with seed 1 diverged" in seed_runs.left_out(table)
