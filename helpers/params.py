"""Checking notebook parameters.

Every notebook starts with a papermill ``parameters`` cell; the cell after it
calls :func:`configure`, which stops with a clear message if a value is wrong,
before any data is loaded or any model is trained.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from . import architectures, datasets, paths, thresholds
from .checks import ParameterError, check_bool, check_choice, check_choices, check_int

__all__ = ["ParameterError", "RunConfig", "configure", "QUICK_EPOCHS"]


@dataclass
class RunConfig:
    """Everything a notebook needs to know about the run it belongs to."""

    dataset: str
    seed: int
    epochs: int
    quick: bool
    models: list[str]
    threshold: str
    threads: int
    run_dir: Path = field(repr=False)
    options: dict = field(default_factory=dict)
    seeds: int = 1  # how many seeds the own and the two best autoencoders train with (noise)

    @property
    def jobs(self) -> int:
        """How many trainings run side by side, each in a process of its own: one per
        thread, but none beside the notebook's kernel in quick mode, whose 2-epoch trainings
        take less time than starting processes that import Keras. Every training seeds
        itself, so this changes no figure."""
        return 1 if self.quick else self.threads

    def describe(self) -> dict:
        d = asdict(self)
        d["run_dir"] = paths.show(self.run_dir)
        return d


QUICK_EPOCHS = 2
SEEDS = 3  # a full run's default number of training seeds for the noise estimate


def configure(
    dataset: str = "synthetic",
    seed: int = 42,
    epochs: int | str = "default",
    quick: bool = False,
    models: Sequence[str] | str = "default",
    threshold: str = "default",
    threads: int = 2,
    run_dir: str | None = None,
    options: dict | None = None,
    seeds: int | str = "default",
) -> RunConfig:
    """Validate the notebook parameters and return the run's configuration.

    ``models="default"`` and ``threshold="default"`` mean the dataset's own choices;
    ``options`` holds dataset-specific settings (e.g. mnist's ``test_digit``). In quick
    mode the epochs are capped at ``QUICK_EPOCHS`` (a smoke test, not a result).
    """
    check_choice("dataset", dataset, datasets.names())
    spec = datasets.spec(dataset)
    check_int("seed", seed, minimum=0)
    if epochs == "default":
        epochs = spec.epochs
    check_int("epochs", epochs, minimum=1)
    check_bool("quick", quick)
    check_int("threads", threads, minimum=1)
    if seeds == "default":
        seeds = 1 if quick else SEEDS
    check_int("seeds", seeds, minimum=1)
    if threshold == "default":
        threshold = spec.threshold
    check_choice("threshold", threshold, thresholds.names())
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise ParameterError(f"options={options!r} must be a dict, e.g. {{}}")
    options = {**options}
    datasets.check_options(dataset, options)
    if models == "default":
        models = list(spec.models)
    models = check_choices("models", models, architectures.names(family=spec.family))
    if run_dir is None:
        run_dir = paths.default_run_dir(dataset)
    elif not isinstance(run_dir, (str, Path)) or not str(run_dir).strip():
        raise ParameterError(f"run_dir={run_dir!r} must be a folder path, or None for the default")
    run_dir = paths.check_run_dir(run_dir)
    if quick:
        epochs = min(epochs, QUICK_EPOCHS)
    return RunConfig(dataset, seed, epochs, quick, models, threshold, threads, run_dir, options,
                     seeds)
