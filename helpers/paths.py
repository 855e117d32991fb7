"""Where the kit lives and where a run writes its files."""
from __future__ import annotations

import os
from pathlib import Path

MARKER = "pyproject.toml"


def project_root(start: str | os.PathLike | None = None) -> Path:
    """The kit's top folder: the nearest folder upwards that holds ``pyproject.toml``
    and ``helpers/``. ``ANOMALY_KIT_ROOT`` overrides the search."""
    env = os.environ.get("ANOMALY_KIT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file() and (folder / "helpers").is_dir():
            return folder
    # Fall back to the installed package's location (an editable install).
    return Path(__file__).resolve().parent.parent


def build_dir() -> Path:
    """Where runs write (``build/``); ``ANOMALY_KIT_BUILD`` moves it, as the tests do
    so that they never overwrite a user's own runs."""
    env = os.environ.get("ANOMALY_KIT_BUILD")
    if env:
        path = Path(env)
        return path if path.is_absolute() else project_root() / path
    return project_root() / "build"


def data_dir() -> Path:
    """Where optional real datasets live (``data/``); ``ANOMALY_KIT_DATA`` moves it, as
    the tests do with small files they write themselves."""
    env = os.environ.get("ANOMALY_KIT_DATA")
    if env:
        path = Path(env)
        return path if path.is_absolute() else project_root() / path
    return project_root() / "data"


def default_run_dir(dataset: str) -> Path:
    return build_dir() / "runs" / dataset


def show(path: str | os.PathLike) -> str:
    """A path as a student should see it: relative to the kit's folder, so that no
    notebook output reveals the machine that ran it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(project_root()).as_posix()
    except ValueError:
        return path.name
