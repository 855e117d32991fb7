"""Passing results from one notebook to the next through the run folder.

Notebook 01 starts a run (an empty folder and ``run.json``); each later notebook
opens it, reads what earlier notebooks saved and saves its own results. Opening a
notebook out of order names the notebook to run first. Files are written to a
temporary name and then renamed, so an interrupted notebook never leaves a
half-written file that looks like a result.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from . import paths, reproducibility
from .params import RunConfig

# artifact name -> the notebook that writes it
PRODUCERS = {
    "run": "01_import",
    "split": "02_load",
    "scaler": "02_load",
    "encoders": "03_encoder",
    "untrained": "04_decoder",
    "trained": "05_compile",
    "recipe": "05_compile",
    "metrics": "07_report",
    "tuning": "08_tuning",
}
# settings that must agree between the notebooks of one run
MUST_MATCH = ("dataset", "seed", "quick", "models", "epochs", "threshold", "threads", "options")


class MissingStepError(RuntimeError):
    """A notebook needs a result that an earlier notebook has not written yet."""


class RunMismatchError(RuntimeError):
    """A notebook's parameters differ from those the run folder was started with."""


def atomic_write(target: Path, write) -> Path:
    """Write ``target`` through a temporary file beside it, so that it is whole or absent."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    write(tmp)
    os.replace(tmp, target)
    return target


class RunState:
    def __init__(self, cfg: RunConfig):
        self.cfg = cfg
        self.dir = Path(cfg.run_dir)
        self.state_dir = self.dir / "state"

    # -- starting and opening --------------------------------------------------
    @classmethod
    def start(cls, cfg: RunConfig) -> "RunState":
        """Begin a fresh run: clear earlier results of this run folder, record the
        parameters. Only a kit-made run folder, or one under build/, is ever cleared."""
        st = cls(cfg)
        paths.check_run_dir(st.dir)
        paths.mark_run_dir(st.dir)
        if st.state_dir.exists():
            shutil.rmtree(st.state_dir)
        for table in ("metrics.csv", "tuning.csv"):  # written again by 07 and 08
            (st.dir / table).unlink(missing_ok=True)
        st.save_json("run", {**cfg.describe(), "backend": reproducibility.backend()})
        return st

    @classmethod
    def open(cls, cfg: RunConfig) -> "RunState":
        st = cls(cfg)
        recorded = st.load_json("run")
        current = cfg.describe()
        diffs = [f"{k}={current[k]!r} here but {recorded.get(k)!r} in the run"
                 for k in MUST_MATCH if recorded.get(k) != current[k]]
        ran_on = recorded.get("backend", reproducibility.DEFAULT_BACKEND)
        if ran_on != reproducibility.backend():
            diffs.append(f"Keras runs on {reproducibility.backend()} here but on {ran_on} in the run")
        if diffs:
            raise RunMismatchError(
                f"This notebook's parameters differ from those {paths.show(st.dir)} was "
                f"started with ({'; '.join(diffs)}). Run notebooks/01_import.ipynb with the "
                "same parameters first, or use the same parameters here.")
        return st

    # -- paths ---------------------------------------------------------------
    def path(self, artifact: str, suffix: str, key: str | None = None) -> Path:
        if artifact not in PRODUCERS:
            raise KeyError(f"unknown artifact {artifact!r}; known: {', '.join(PRODUCERS)}")
        name = artifact if key is None else f"{artifact}_{key}"
        return self.state_dir / f"{name}{suffix}"

    def _need(self, p: Path, artifact: str) -> Path:
        if not p.exists():
            nb = PRODUCERS[artifact]
            raise MissingStepError(
                f"{paths.show(self.dir)} has no '{artifact}' results yet: run "
                f"notebooks/{nb}.ipynb first (with dataset={self.cfg.dataset!r}, "
                f"seed={self.cfg.seed}), then this notebook.")
        return p

    # -- reading and writing -------------------------------------------------
    def save_json(self, artifact: str, obj, key: str | None = None) -> Path:
        text = json.dumps(obj, indent=2, default=float)
        return atomic_write(self.path(artifact, ".json", key), lambda t: t.write_text(text))

    def load_json(self, artifact: str, key: str | None = None):
        return json.loads(self._need(self.path(artifact, ".json", key), artifact).read_text())

    def save_arrays(self, artifact: str, arrays: dict, key: str | None = None) -> Path:
        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        return atomic_write(self.path(artifact, ".npz", key), write)

    def load_arrays(self, artifact: str, key: str | None = None) -> dict[str, np.ndarray]:
        with np.load(self._need(self.path(artifact, ".npz", key), artifact)) as data:
            return {k: data[k] for k in data.files}

    def save_object(self, artifact: str, obj, key: str | None = None) -> Path:
        import joblib  # noqa: PLC0415

        return atomic_write(self.path(artifact, ".joblib", key), lambda t: joblib.dump(obj, t))

    def load_object(self, artifact: str, key: str | None = None):
        import joblib  # noqa: PLC0415

        return joblib.load(self._need(self.path(artifact, ".joblib", key), artifact))

    def save_model(self, artifact: str, model, key: str) -> Path:
        target = self.path(artifact, ".keras", key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".tmp_{target.name}")  # Keras insists on the .keras suffix
        model.save(tmp)
        os.replace(tmp, target)
        return target

    def load_model(self, artifact: str, key: str):
        import keras  # noqa: PLC0415

        from . import conv_layers, latent_layers  # noqa: F401, PLC0415  (the kit's own layers, for loading)

        return keras.models.load_model(self._need(self.path(artifact, ".keras", key), artifact))

    def save_models(self, artifact: str, models: dict) -> None:
        for name, model in models.items():
            self.save_model(artifact, model, key=name)
        print(f"saved {len(models)} model(s) to {paths.show(self.state_dir)}/: {', '.join(models)}")

    def load_models(self, artifact: str, names) -> dict:
        return {name: self.load_model(artifact, name) for name in names}

    def has(self, artifact: str, suffix: str, key: str | None = None) -> bool:
        return self.path(artifact, suffix, key).exists()
