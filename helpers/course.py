"""The course: the notebooks as an nbgrader assignment, and the students' copy.

nbgrader (Jupyter's grader, used here from the command line only) works in a *course
folder*: ``source/<assignment>/`` holds the instructor's notebooks (``notebooks/``,
solutions in place), ``release/<assignment>/`` the copies it generates for students
(each solution replaced by :data:`STUB`, hidden tests removed, outputs cleared), and
``gradebook.db`` the cells it grades, hidden tests included, so that grading can put
them back. ``make student`` packs the release into a copy of the kit for students.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from . import paths

ASSIGNMENT = "autoencoders"
COURSE_ID = "anomaly-kit"
# What a student finds where a solution was; running it says the exercise is not done.
STUB = ('# YOUR CODE HERE\n'
        'raise NotImplementedError("not done yet: replace these two lines with your solution")')
# Files of the kit a student's copy leaves out: the solutions (notebooks/src/ and the
# instructor's notebooks), the hidden tests' checks, the kit's own tests, CI and the
# instructor's notebook tool.
NOT_FOR_STUDENTS = ("notebooks/", "tests/", ".ci/", "tools/", "helpers/hidden_checks.py")
STUDENT_README = """\
# Your copy of the anomaly-detection course

The notebooks in `notebooks/` are your assignment. Set up and open them with

    make lab

(the first time, this installs the pinned packages into `.venv/`, a few minutes).

Work through the notebooks in order, 01 to 08. Notebooks 03 to 07 hold graded
exercises: each says what to write and how many points it is worth. Replace the lines

    # YOUR CODE HERE
    raise NotImplementedError(...)

with your solution, then run the check cell below it: it prints what is wrong, or that
the visible checks pass. Grading runs these checks and further hidden ones. Do not edit
or delete the check cells: an edited check cell scores zero.

Hand in the notebook files (`notebooks/*.ipynb`) as your instructor asks.
"""


class CourseError(RuntimeError):
    """nbgrader could not build the assignment."""


def course_dir() -> Path:
    return paths.build_dir() / "course"


def write_config(folder: Path) -> Path:
    """nbgrader's configuration for a course folder."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "nbgrader_config.py"
    config.write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.root = {str(folder)!r}\n"
        f"c.ClearSolutions.code_stub = {{'python': {STUB!r}}}\n")
    return config


def nbgrader_env(extra: dict | None = None) -> dict:
    """The environment nbgrader runs in: this Python's scripts first on the PATH (nbgrader
    calls ``alembic`` from there)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra or {})
    return env


def nbgrader_command(*args: str) -> list[str]:
    """nbgrader's command line, started through ``helpers`` (whose import makes loading
    notebooks a second cheaper)."""
    return [sys.executable, "-m", "helpers.nbgrader_cli", *args]


def release(notebooks: Path | None = None) -> Path:
    """Build the course folder afresh from the instructor's notebooks and let nbgrader
    generate the students' copies and the gradebook; return the release folder."""
    notebooks = notebooks or paths.project_root() / "notebooks"
    folder = course_dir()
    if folder.exists():
        shutil.rmtree(folder)
    source = folder / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for nb in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(nb, source / nb.name)
    write_config(folder)
    done = subprocess.run(nbgrader_command("generate_assignment", ASSIGNMENT, "--force"),
                          cwd=folder, env=nbgrader_env(), capture_output=True, text=True)
    out = folder / "release" / ASSIGNMENT
    if done.returncode != 0 or not list(out.glob("*.ipynb")):
        raise CourseError("nbgrader could not generate the students' notebooks:\n"
                          + (done.stdout + done.stderr)[-3000:])
    return out


def exercises(nb_path: Path) -> list[dict]:
    """The graded cells of a notebook, in order: grade_id, points."""
    nb = json.loads(Path(nb_path).read_text())
    found = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            found.append({"grade_id": meta["grade_id"], "points": float(meta.get("points", 0))})
    return found


def locked_cells(nb_path: Path) -> dict[str, str]:
    """Source of every locked cell of a notebook, by its nbgrader id."""
    nb = json.loads(Path(nb_path).read_text())
    cells = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") and meta.get("grade_id"):
            source = cell.get("source", "")
            cells[meta["grade_id"]] = "".join(source) if isinstance(source, list) else source
    return cells


def kit_files(root: Path) -> list[str]:
    """The kit's own files (those git tracks), relative to ``root``."""
    done = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True)
    if done.returncode == 0 and done.stdout:
        return [f for f in done.stdout.decode().split("\0") if f]
    skip = {".git", ".venv", "build", "__pycache__", ".ipynb_checkpoints"}
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and not skip & set(p.relative_to(root).parts))


def student_copy(release_dir: Path, out: Path | None = None) -> tuple[Path, Path]:
    """Write the students' copy of the kit (``build/student/``) and its zip: the kit's
    files without solutions or tests, with the released notebooks in ``notebooks/``."""
    root = paths.project_root()
    out = out or paths.build_dir() / "student"
    if out.exists():
        shutil.rmtree(out)
    for rel in kit_files(root):
        if rel.startswith(NOT_FOR_STUDENTS) or not (root / rel).is_file():
            continue
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, out / rel)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    for nb in sorted(release_dir.glob("*.ipynb")):
        shutil.copy2(nb, out / "notebooks" / nb.name)
    (out / "STUDENT.md").write_text(STUDENT_README)
    archive = out.with_suffix(".zip")
    archive.unlink(missing_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(out.rglob("*")):
            if f.is_file():
                zf.write(f, Path("anomaly-kit-student") / f.relative_to(out))
    return out, archive


def main() -> int:
    try:
        released = release()
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    out, archive = student_copy(released)
    graded = {nb.name: exercises(nb) for nb in sorted(released.glob("*.ipynb"))}
    points = sum(e["points"] for ex in graded.values() for e in ex)
    print(f"students' copy: {paths.show(out)}/ (open it with `make lab` there), "
          f"zip for the course page: {paths.show(archive)}")
    print(f"{sum(map(len, graded.values()))} graded exercises, {points:g} points, in "
          + ", ".join(f"{name} ({len(ex)})" for name, ex in graded.items() if ex))
    return 0


if __name__ == "__main__":
    sys.exit(main())
