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


# A run folder holds this file once the kit has made a run there. Only such a folder, or
# one under build/, may be a run folder: starting a run clears a run folder's results.
RUN_MARKER = ".anomaly-kit-run"


def is_inside(path: Path, folder: Path) -> bool:
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def _build_folders() -> set[Path]:
    """The kit's own ``build/`` and wherever ``ANOMALY_KIT_BUILD`` moves it."""
    return {build_dir().resolve(), (project_root() / "build").resolve()}


def kit_made(path: str | os.PathLike) -> bool:
    """Whether the kit may write into and clear parts of the folder ``path``: ``build/``
    or a folder inside it, or a folder that holds the kit's marker."""
    resolved = Path(path).resolve()
    return any(is_inside(resolved, b) for b in _build_folders()) or (resolved / RUN_MARKER).is_file()


def may_hold_a_run(path: str | os.PathLike) -> bool:
    """Whether a run may use (and so clear) the folder ``path``: one inside ``build/``
    (but not ``build/`` itself), or one where the kit already made a run."""
    resolved = Path(path).resolve()
    return kit_made(resolved) and resolved not in _build_folders()


def check_run_dir(path: str | os.PathLike) -> Path:
    """The run folder ``path`` (relative to the kit) resolved, if a run may go there:
    inside ``build/``, or a folder where the kit already made a run. Anything else stops
    with a ParameterError, before anything is written or deleted."""
    from .checks import ParameterError  # noqa: PLC0415  (checks is a leaf; paths stays one too)

    path = Path(path)
    resolved = (path if path.is_absolute() else project_root() / path).resolve()
    if may_hold_a_run(resolved):
        return resolved
    raise ParameterError(
        f"run_dir={str(path)!r} is not a place for a run: a run folder must be inside "
        f"{show(build_dir())}/ (the default is {show(default_run_dir('<dataset>'))}), or a folder "
        "where the kit already made a run. Starting a run clears a run folder's results, so the "
        "kit never uses any other folder; use run_dir=None for the default.")


def mark_run_dir(path: Path) -> None:
    """Make ``path`` a run folder: create it and leave the kit's marker in it."""
    path.mkdir(parents=True, exist_ok=True)
    (path / RUN_MARKER).write_text("A folder the anomaly-detection course kit made; "
                                   "what it holds is rewritten by the next run.\n")


def show(path: str | os.PathLike) -> str:
    """A path as a student should see it: relative to the kit's folder, so that no
    notebook output reveals the machine that ran it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(project_root()).as_posix()
    except ValueError:
        return path.name
