"""The dataset registry. Adding a dataset means one new entry in ``REGISTRY``: a
module with ``load(seed, quick, options) -> RawData``, ``split(raw, seed, quick,
options) -> Split``, ``check_options`` and ``NOTES`` (what the notebooks say about
it), plus the defaults below.

A note is Markdown, either fixed text that is true for every option the dataset
accepts, or a function ``note(opts, raw=None, split=None) -> str`` that writes it from
the run's options (defaults included) and its data, for facts that depend on them
(sizes, sampling interval, events). A module may also have ``title(opts) -> str``
when its title depends on the options.

Options are checked once, by ``check_options`` when a notebook's parameters are
checked; ``load`` and ``split`` take options that have passed that check."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from ..checks import check_choice
from . import csvfile, mnist, nab, shuttle, synthetic, thyroid, yahoo
from .base import RawData, Split
from .images import ImageSplit
from .labelled import FewLabelSplit
from .series import SeriesSplit


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    module: ModuleType
    models: tuple[str, ...]  # the autoencoders trained by default
    scaler: str = "standard"
    threshold: str = "best_f1"  # the threshold method the report applies by default
    baselines: tuple[str, ...] = ("pca", "isolation_forest", "mahalanobis")
    focus: str = ""  # the kit's own autoencoder for this data, shown in detail
    epochs: int = 60  # default upper limit of training epochs (early stopping ends sooner)
    batch_size: int = 256
    # the course bar for the best autoencoder on the test set, e.g. {"pr_auc": 0.5}
    bar: dict = field(default_factory=dict)
    # ... or: the best autoencoder must beat these baselines on ROC-AUC and PR-AUC
    bar_beats: tuple[str, ...] = ()
    # notebook 08: the models it tunes and its grid (values per key; quick mode takes the first)
    tuning_models: tuple[str, ...] = ()
    tuning_grid: dict = field(default_factory=dict)
    tuning_rows: int | None = None  # train the grid on a subsample of this many rows
    split_type: type = Split  # the class of the split ``module.split`` returns
    in_all: bool = True  # whether ``make run-all`` runs it when no DATASETS are named

    @property
    def family(self) -> str:
        """The kind of data: "tabular", "image" or "series" (the split's family)."""
        return self.split_type.family


def series_spec(name: str, title: str, module: ModuleType, epochs: int, batch_size: int,
                tuning_epochs: int) -> DatasetSpec:
    """A time-series dataset: seed 000's four windowed variants and the kit's, the
    point baselines, the bar (beat the pointwise model and the rolling z-score), and an
    alarm budget as the threshold (``thresholds.best_f1_budget``: plain best F1 drifts
    towards flagging everything when labelled windows are wide)."""
    return DatasetSpec(
        name=name, title=title, module=module, split_type=SeriesSplit,
        models=("ts_dense", "ts_lstm", "ts_deep_tanh", "ts_leaky_dropout", "ts_kit"),
        scaler="none", threshold="best_f1_budget", focus="ts_kit", epochs=epochs, batch_size=batch_size,
        baselines=("pointwise", "rolling_zscore", "random", "pca"),
        bar_beats=("pointwise", "rolling_zscore"),
        tuning_models=("ts_dense", "ts_kit"),
        tuning_grid={"learning_rate": (1e-3, 1e-2), "weight_decay": (0.0, 1e-4),
                     "epochs": (tuning_epochs,), "batch_size": (batch_size,)},
    )


def labelled_spec(name: str, title: str, module: ModuleType, in_all: bool = True,
                  batch_size: int = 256) -> DatasetSpec:
    """A labelled table under the few-labels protocol (seed 004): the autoencoders sized
    to the table's width, the classical baselines, and the detectors that use the few
    labels."""
    return DatasetSpec(
        name=name, title=title, module=module, split_type=FewLabelSplit, in_all=in_all,
        models=("tab_dense", "tab_vae", "tab_memae"), focus="tab_dense", epochs=60,
        batch_size=batch_size,
        baselines=("pca", "isolation_forest", "mahalanobis", "supervised", "devnet", "memae_devnet"),
        # seed 004's sweep of MemAE's memory size
        tuning_models=("tab_memae",),
        tuning_grid={"learning_rate": (1e-3,), "weight_decay": (0.0,), "epochs": (20,),
                     "batch_size": (batch_size,), "memory": (10, 20, 40, 50, 100, 200)},
        tuning_rows=10_000,
    )


REGISTRY: dict[str, DatasetSpec] = {
    "synthetic": DatasetSpec(
        name="synthetic", title="Synthetic imbalanced data (seed 001)",
        module=synthetic, models=("seed_simple", "seed_deep", "kit_dense"), focus="kit_dense",
        bar={"pr_auc": 0.50, "f1": 0.45},
        tuning_models=("seed_simple", "seed_deep", "kit_dense"),
        tuning_grid={"learning_rate": (1e-3, 1e-2), "weight_decay": (0.0, 1e-4),
                     "epochs": (5,), "batch_size": (256,)},
        tuning_rows=10_000,
    ),
    "mnist": DatasetSpec(
        name="mnist", title="MNIST, digits 4 and 8 as anomalies (seed 003)",
        module=mnist, split_type=ImageSplit,
        models=("mnist_6l32_relu", "mnist_6l32_tanh", "mnist_4l64_relu", "mnist_4l64_tanh",
                "mnist_4l128_relu", "mnist_4l128_tanh", "mnist_conv", "mnist_kit"),
        scaler="none", threshold="closest_to_corner", baselines=("pca", "isolation_forest"),
        focus="mnist_kit", epochs=40, batch_size=128, bar={"roc_auc": 0.87, "f1": 0.45},
        tuning_models=("mnist_6l32_relu", "mnist_6l32_tanh", "mnist_4l64_relu",
                       "mnist_4l64_tanh", "mnist_4l128_relu", "mnist_4l128_tanh"),
        tuning_grid={"learning_rate": (1e-3, 1e-2), "weight_decay": (0.0, 1e-4),
                     "epochs": (8,), "batch_size": (128,)},
        tuning_rows=1_000,
    ),
    "yahoo": series_spec(
        "yahoo", "Yahoo S5 format: hourly series, A1 layout (seed 000)", yahoo,
        epochs=30, batch_size=256, tuning_epochs=5),
    "nab": series_spec(
        "nab", "NAB: ambient temperature with a system failure (seed 002)", nab,
        epochs=60, batch_size=64, tuning_epochs=10),
    "shuttle": labelled_spec(
        "shuttle", "Statlog Shuttle: easy anomalies, a few labels (seed 004)", shuttle,
        batch_size=1024),  # 29,000 training rows of 9 features: large batches, 4x fewer steps
    "thyroid": labelled_spec(
        "thyroid", "annthyroid: hard anomalies, a few labels (seed 004)", thyroid),
    # the user's own table; not in a plain run-all: without options it reads thyroid's file
    "csv": labelled_spec("csv", "Your labelled table (seed 004's route)", csvfile, in_all=False),
}


def names() -> list[str]:
    return list(REGISTRY)


def default_names() -> list[str]:
    """The datasets a run covers when none are named."""
    return [n for n, s in REGISTRY.items() if s.in_all]


def spec(name: str) -> DatasetSpec:
    check_choice("dataset", name, names())
    return REGISTRY[name]


def check_options(name: str, options: dict) -> dict:
    """The dataset's options merged over its defaults; a bad one stops with a
    ParameterError that names it and the valid choices."""
    return spec(name).module.check_options(options)


def load(name: str, seed: int, quick: bool = False, options: dict | None = None) -> RawData:
    return spec(name).module.load(seed=seed, quick=quick, options=options or {})


def split(name: str, raw: RawData, seed: int, quick: bool = False,
          options: dict | None = None) -> Split:
    return spec(name).module.split(raw, seed=seed, quick=quick, options=options or {})


def focus(name: str, models) -> str:
    """The model a notebook shows in detail: the dataset's own, else the first trained."""
    f = spec(name).focus
    return f if f in models else list(models)[0]


def meets_bar(name: str, row, table=None) -> bool:
    """Whether a result row reaches the dataset's course bar: fixed figures, or (for
    ``bar_beats``) higher ROC-AUC and PR-AUC than each named baseline in ``table``
    (indexed by model)."""
    s = spec(name)
    ok = all(row[k] >= v for k, v in s.bar.items())
    for other in s.bar_beats:
        ok = ok and all(row[m] > table.loc[other, m] for m in ("roc_auc", "pr_auc"))
    return bool(ok)


def bar_text(name: str) -> str:
    s = spec(name)
    parts = [f"{k} >= {v}" for k, v in s.bar.items()]
    if s.bar_beats:
        parts.append(f"ROC-AUC and PR-AUC above {' and '.join(s.bar_beats)}")
    return " and ".join(parts)


def verdict(name: str, best: str, table, gaps: dict | None = None,
            intervals=None) -> str:
    """How the best autoencoder ``best`` did on the test set, as sentences: whether it met
    the dataset's course bar (only for a dataset that has one), and every baseline of the
    run (rows of ``table``, indexed by model) that beat it on ROC-AUC or PR-AUC, by name.

    With ``gaps`` (``noise.gaps``: (other, figure) -> (gap, low, high) of ``best``
    against the others) and ``intervals`` (``noise.intervals``, indexed by model), each
    comparison also says whether it is larger than the noise of the test sample."""
    from .. import noise  # noqa: PLC0415

    s, row = spec(name), table.loc[best]
    lines = []
    figures = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC"}

    def against(other, m) -> str:
        if not gaps or (other, m) not in gaps:
            return ""
        _, lo, hi = gaps[(other, m)]
        return f" ({noise.gap_text(lo, hi)})"

    if s.bar or s.bar_beats:
        met = "met" if meets_bar(name, row, table) else "NOT met"
        lines.append(f"The course bar ({bar_text(name)}) is {met} by {best}.")
        if intervals is not None and best in intervals.index:
            for k, v in s.bar.items():
                if k not in figures:
                    continue
                lo, hi = intervals.loc[best, f"{k}_lo"], intervals.loc[best, f"{k}_hi"]
                side = ("above it beyond noise" if lo >= v else "below it beyond noise" if hi < v
                        else "within noise of it")
                lines.append(f"  {figures[k]} {row[k]:.3f} against the bar's {v}: 95% interval "
                             f"{lo:.3f} to {hi:.3f}, {side}.")
        for other in s.bar_beats:
            for m, label in figures.items():
                if other in table.index:
                    lines.append(f"  {label} {row[m]:.3f} against {other}'s {table.loc[other, m]:.3f}"
                                 f"{against(other, m)}.")
    # the classical baselines; detectors that read labels are compared in 07's own section
    rivals = [b for b in s.baselines if b in table.index
              and (table.loc[b].get("kind", "baseline") != "few labels")]
    compared = set(s.bar_beats) if gaps else set()  # the bar's lines above already say it
    ahead = {m: [b for b in rivals if table.loc[b, m] > row[m]] for m in figures}
    if rivals and not any(ahead.values()):
        pairs = [(b, m) for b in rivals for m in figures if gaps and (b, m) in gaps]
        close = [f"{b} on {figures[m]}" for b, m in pairs if not noise.beyond_noise(*gaps[(b, m)][1:])]
        tail = ("." if not gaps else ", beyond noise." if not close
                else ", but every one of these gaps is within noise." if len(close) == len(pairs)
                else f"; within noise against {', '.join(close)}.")
        lines.append(f"{best} beats every baseline of this run ({', '.join(rivals)}) on test "
                     f"ROC-AUC and PR-AUC{tail}")
    for m, label in figures.items():
        ahead[m] = [b for b in ahead[m] if b not in compared]
        if ahead[m]:
            better = ", ".join(f"{b} ({table.loc[b, m]:.3f}"
                               + (f"; {noise.gap_text(*gaps[(b, m)][1:])})" if gaps and (b, m) in gaps
                                  else ")") for b in ahead[m])
            lines.append(f"On test {label} a baseline beats {best} ({row[m]:.3f}): {better}.")
    return "\n".join(lines)


def missing_data(name: str, options: dict | None = None) -> list:
    """Files a dataset needs that are not there (only datasets that need a download
    can miss any)."""
    check = getattr(spec(name).module, "missing", None)
    return check(options or {}) if check else []


def describe(name: str, raw: RawData):
    """Summary statistics: of the first features for tables; for images, of each
    image's mean brightness and share of inked pixels, per class."""
    import pandas as pd  # noqa: PLC0415

    if spec(name).family == "series":
        df = raw.frame()
        per = df.groupby("series", sort=False).agg(points=("value", "size"),
                                                   anomalous=("is_anomaly", "sum"),
                                                   mean=("value", "mean"), std=("value", "std"),
                                                   min=("value", "min"), max=("value", "max"))
        return per.describe().T[["mean", "min", "50%", "max"]].round(2) if len(per) > 1 \
            else per.round(2)
    if spec(name).family == "image":
        per_image = pd.DataFrame({"label": raw.labels, "mean brightness": raw.X.mean(axis=1),
                                  "inked share": (raw.X > 0.5).mean(axis=1)})
        return per_image.groupby("label").agg(["mean", "std"]).round(3)
    return raw.frame().describe().T.round(2).head(8)


def title(name: str, options: dict | None = None) -> str:
    """The dataset's title for these options (the module's ``title``, if it has one)."""
    module = spec(name).module
    if hasattr(module, "title"):
        return module.title(check_options(name, options or {}))
    return spec(name).title


def note_text(name: str, notebook: str, options: dict | None = None, raw: RawData | None = None,
              split: Split | None = None) -> str:
    """What the notebooks say about this dataset at this step, as Markdown text ("" if
    nothing): fixed text, or written from the options and data (see the module
    docstring)."""
    note = spec(name).module.NOTES.get(notebook, "")
    if callable(note):
        note = note(check_options(name, options or {}), raw=raw, split=split)
    return note.strip()


def notes(name: str, notebook: str, options: dict | None = None, raw: RawData | None = None,
          split: Split | None = None):
    """``note_text`` as Markdown for a notebook."""
    from IPython.display import Markdown  # noqa: PLC0415

    return Markdown(note_text(name, notebook, options, raw, split) or
                    "*(nothing specific to this dataset here)*")


__all__ = ["DatasetSpec", "RawData", "Split", "REGISTRY", "names", "spec", "load", "split",
           "notes", "note_text", "title", "check_options"]
