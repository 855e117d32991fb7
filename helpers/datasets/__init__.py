"""The dataset registry. Adding a dataset means one new entry in ``REGISTRY``:
a module with ``load(seed, quick) -> RawData`` and ``split(raw, seed) -> Split``,
plus the autoencoders the notebooks train on it by default."""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from ..params import check_choice
from . import synthetic
from .base import RawData, Split


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    kind: str  # "tabular", "image" or "timeseries"
    title: str
    module: ModuleType
    models: tuple[str, ...]
    scaler: str = "standard"


REGISTRY: dict[str, DatasetSpec] = {
    "synthetic": DatasetSpec(
        name="synthetic", kind="tabular",
        title="Synthetic imbalanced data (seed 001)", module=synthetic,
        models=("seed_simple", "seed_deep", "kit_dense"),
    ),
}


def names() -> list[str]:
    return list(REGISTRY)


def spec(name: str) -> DatasetSpec:
    check_choice("dataset", name, names())
    return REGISTRY[name]


def load(name: str, seed: int, quick: bool = False) -> RawData:
    return spec(name).module.load(seed=seed, quick=quick)


def split(name: str, raw: RawData, seed: int) -> Split:
    return spec(name).module.split(raw, seed=seed)


__all__ = ["DatasetSpec", "RawData", "Split", "REGISTRY", "names", "spec", "load", "split"]
