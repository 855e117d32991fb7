"""The first code cell of every notebook: check parameters, open the run, seed.

    cfg, state = begin("05_compile", dataset=dataset, seed=seed, ...)
"""
from __future__ import annotations

import random

import numpy as np

from . import datasets, paths, plots, reference, reproducibility
from .datasets.base import Split
from .params import RunConfig, configure
from .preprocessing import scale_split
from .runstate import RunState

FIRST = "01_import"


def begin(notebook: str, *, keras: bool = True, tensorflow: bool | None = None,
          **params) -> tuple[RunConfig, RunState]:
    """Validate the notebook's parameters (stopping with a clear message on a bad
    value), start the run (notebook 01) or open it (the others), seed every random
    generator and set the plot style. ``keras=False``, for a notebook that builds and
    trains no model, leaves Keras (and its backend, which takes seconds to load)
    unloaded (``tensorflow=``, its earlier name, still works: students' copies made
    before the rename call it so). While ``make grade`` grades a notebook, the run
    is a fresh copy of the reference run as it stood before this notebook
    (:mod:`helpers.reference`), whatever the parameters cell says."""
    if tensorflow is not None:
        keras = tensorflow
    snapshots = reference.folder()
    graded = snapshots is not None and notebook != FIRST
    if graded:  # being graded: this notebook reads the reference run's inputs
        params = reference.open_copy(notebook, snapshots)
    cfg = configure(**params)
    state = RunState.start(cfg) if notebook == FIRST else RunState.open(cfg)
    if keras:
        reproducibility.seed_everything(cfg.seed, cfg.threads)
    else:
        random.seed(cfg.seed)
        np.random.seed(cfg.seed)
    plots.setup()
    mode = "quick mode (a smoke test, not a result)" if cfg.quick else "full run"
    print(f"{notebook}: dataset={cfg.dataset!r}, seed={cfg.seed}, {mode}; "
          f"run folder {paths.show(cfg.run_dir)}/")
    if graded:
        print("graded on the reference run's inputs: the parameters above are the reference "
              "run's, and the run folder is a fresh copy of it as it stood before this notebook")
    return cfg, state


def load_split(state: RunState, scaled: bool = True) -> Split:
    """The split notebook 02 saved, scaled with the scaler fitted there (or raw). Its
    class comes from the dataset's registry entry."""
    split_type = datasets.spec(state.cfg.dataset).split_type
    split = split_type.from_arrays(state.load_arrays("split"), state.load_json("split"))
    return scale_split(split, state.load_object("scaler")) if scaled else split


def save_split(state: RunState, split: Split, scaler) -> None:
    split_type = datasets.spec(state.cfg.dataset).split_type
    if type(split) is not split_type:  # load_split would read it back as the registry says
        raise TypeError(f"{state.cfg.dataset}'s split is a {type(split).__name__}, but its registry "
                        f"entry says {split_type.__name__}: set split_type in helpers/datasets/")
    state.save_arrays("split", split.arrays())
    state.save_json("split", split.info)
    state.save_object("scaler", scaler)
