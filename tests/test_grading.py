"""Grading: nbgrader's students' copies, and grades that cost a student only what failed.

The toy-assignment tests grade tiny notebooks (no TensorFlow), so that loops, crashes,
memory hogs and tampering are cheap to try. The class test grades four submissions of
the real notebooks in quick mode, as `make grade QUICK=1` does.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers import course, feedback, grading, paths

ROOT = paths.project_root()
KERNEL = {"name": "anomaly-kit", "display_name": "Python 3 (anomaly kit)", "language": "python"}


def toy_notebook(path: Path, exercises: list[tuple[str, int, str, str]]) -> Path:
    """A notebook of (grade_id, points, solution, test) exercises, nbgrader's format."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    for gid, points, solution, test in exercises:
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## Exercise {gid} ({points} points)"))
        sol = nbformat.v4.new_code_cell(solution)
        sol.metadata["nbgrader"] = {"grade": False, "grade_id": gid, "locked": False,
                                    "schema_version": 3, "solution": True}
        tst = nbformat.v4.new_code_cell(test)
        tst.metadata["nbgrader"] = {"grade": True, "grade_id": f"{gid}_tests", "locked": True,
                                    "points": points, "schema_version": 3, "solution": False}
        nb.cells += [sol, tst]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


TOY = [("ex_a", 2, "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION",
        "assert f(1) == 2, 'f(1) should be 2'\n### BEGIN HIDDEN TESTS\nassert f(5) == 6, 'hidden: f(5)'\n"
        "### END HIDDEN TESTS"),
       ("ex_b", 3, "def g(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
        "assert g(2) == 4, 'g(2) should be 4'")]


def set_solution(nb_path: Path, gid: str, source: str) -> None:
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == gid:
            cell["source"] = source
    nb_path.write_text(json.dumps(nb))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A released toy assignment: (instructor's folder, release folder)."""
    base = tmp_path_factory.mktemp("toy")
    os.environ["ANOMALY_KIT_BUILD"] = str(base / "build")
    src = base / "notebooks"
    toy_notebook(src / "03_toy.ipynb", TOY)
    released = course.release(src)
    return src, released


def grade_toy(toy, folder: Path, tmp_path: Path, **limits) -> pd.DataFrame:
    src, released = toy
    graded = {"03_toy": course.exercises(released / "03_toy.ipynb")}
    rows, _ = grading.grade_student(folder, released, graded, tmp_path / "no-snapshots",
                                    grading.Limits(**limits), tmp_path / "out")
    return pd.DataFrame(rows).set_index("exercise")


def test_release_hides_solutions_and_hidden_tests(toy):
    src, released = toy
    text = (released / "03_toy.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "return x + 1" not in text
    assert "BEGIN HIDDEN TESTS" not in text and "hidden: f(5)" not in text
    assert "not done yet" in text and "f(1) should be 2" in text  # stub and visible checks
    assert course.exercises(released / "03_toy.ipynb") == [
        {"grade_id": "ex_a_tests", "points": 2.0}, {"grade_id": "ex_b_tests", "points": 3.0}]


@pytest.mark.second_stream
def test_toy_solution_full_marks_and_blank_copy_zero(toy, tmp_path):
    src, released = toy
    (tmp_path / "good").mkdir()
    shutil.copy(src / "03_toy.ipynb", tmp_path / "good")
    before = digest(tmp_path / "good")
    good = grade_toy(toy, tmp_path / "good", tmp_path, cell_seconds=30)
    assert list(good.status) == ["passed", "passed"] and good.score.sum() == 5
    assert digest(tmp_path / "good") == before  # the submission is never modified
    (tmp_path / "blank" / "deep").mkdir(parents=True)
    shutil.copy(released / "03_toy.ipynb", tmp_path / "blank" / "deep")
    blank = grade_toy(toy, tmp_path / "blank", tmp_path, cell_seconds=30)
    assert blank.score.sum() == 0 and set(blank.status) == {"failed"}
    assert blank.message.str.contains("NotImplementedError: not done yet").all()


@pytest.mark.second_stream
def test_toy_wrong_loop_crash_and_memory_cost_only_their_exercise(toy, tmp_path):
    src, released = toy
    cases = {
        "hidden": "def f(x):\n    return 2 if x == 1 else 0",  # passes visible, fails hidden
        "loop": "def f(x):\n    while True:\n        pass",
        "memory": "def f(x):\n    return len(bytearray(8 * 2**30))",
        "exits": "import os\ndef f(x):\n    os._exit(1)",
    }
    got = {}
    for name, source in cases.items():
        (tmp_path / name).mkdir()
        shutil.copy(src / "03_toy.ipynb", tmp_path / name)
        set_solution(tmp_path / name / "03_toy.ipynb", "ex_a", source)
        got[name] = grade_toy(toy, tmp_path / name, tmp_path, cell_seconds=5, memory_gb=4)
        assert got[name].loc["ex_a", "score"] == 0, name
        assert got[name].loc["ex_a", "status"] == "failed", name
        if name != "exits":  # a dead kernel takes the rest of its notebook with it
            assert got[name].loc["ex_b", "score"] == 3, (name, got[name].to_dict())
    assert "hidden: f(5)" in got["hidden"].loc["ex_a", "message"]
    assert "time limit" in got["loop"].loc["ex_a", "message"]
    assert "MemoryError" in got["memory"].loc["ex_a", "message"]
    assert "crashed" in got["exits"].loc["ex_a", "message"]


@pytest.mark.second_stream
def test_toy_student_time_limit_and_missing_notebook(toy, tmp_path):
    src, released = toy
    (tmp_path / "slow").mkdir()
    shutil.copy(src / "03_toy.ipynb", tmp_path / "slow")
    set_solution(tmp_path / "slow" / "03_toy.ipynb", "ex_a", "import time\ntime.sleep(60)\n"
                 "def f(x):\n    return x + 1")
    slow = grade_toy(toy, tmp_path / "slow", tmp_path, cell_seconds=120, student_seconds=8)
    assert slow.score.sum() == 0 and set(slow.status) == {"not graded"}
    assert slow.message.str.contains("time limit of 8s").all()
    (tmp_path / "none").mkdir()
    missing = grade_toy(toy, tmp_path / "none", tmp_path)
    assert set(missing.status) == {"missing"} and missing.score.sum() == 0


@pytest.mark.second_stream
def test_toy_tampering_is_flagged(toy, tmp_path):
    src, released = toy
    (tmp_path / "edit").mkdir()
    shutil.copy(src / "03_toy.ipynb", tmp_path / "edit")
    set_solution(tmp_path / "edit" / "03_toy.ipynb", "ex_a_tests", "pass")
    got = grade_toy(toy, tmp_path / "edit", tmp_path, cell_seconds=30)
    assert got.loc["ex_a", "status"] == "flagged" and got.loc["ex_a", "score"] == 0
    assert got.loc["ex_b", "score"] == 3
    nb = json.loads((tmp_path / "edit" / "03_toy.ipynb").read_text())
    nb["cells"] = [c for c in nb["cells"]
                   if c["metadata"].get("nbgrader", {}).get("grade_id") != "ex_b_tests"]
    (tmp_path / "edit" / "03_toy.ipynb").write_text(json.dumps(nb))
    flags = grading.tampered(tmp_path / "edit" / "03_toy.ipynb", released / "03_toy.ipynb",
                             src / "03_toy.ipynb")
    assert flags == {"ex_a_tests": "this check cell was edited",
                     "ex_b_tests": "this check cell was deleted (or its grading metadata removed)"}


@pytest.mark.second_stream
def test_toy_class_on_a_cluster_gets_the_grades_of_one_machine(toy, tmp_path, loopback_cluster,
                                                               capsys):
    """Each student is a job on a two-worker Dask cluster: the grades are those of one
    machine (the other toy tests), and the executed notebooks and the new cache entries
    come home. Graded again, every student's notebook is in the cache: nobody gets a job
    and nothing runs again; with a late submission, only its student does. (The real
    class's test has students whose cached notebooks travel with their jobs.)"""
    from helpers.interruption import Run

    src, released = toy
    graded = {"03_toy": course.exercises(released / "03_toy.ipynb")}
    subs = tmp_path / "submissions"
    for sid, nb in (("good", src), ("blank", released)):
        (subs / sid).mkdir(parents=True)
        shutil.copy(nb / "03_toy.ipynb", subs / sid)
    (tmp_path / "snapshots").mkdir()
    out = tmp_path / "grades"

    def grade_there() -> pd.DataFrame:
        with Run(out) as run:
            rows, _ = grading.grade_class(grading.students(subs), released, graded, tmp_path / "snapshots",
                                          grading.Limits(cell_seconds=30), grading.Cache(out / "cache", "toy"),
                                          out, run, loopback_cluster.address, 1)
        return pd.DataFrame(rows).set_index(["student", "exercise"])

    there = grade_there()
    assert list(there.loc["good"].status) == ["passed", "passed"] and there.loc["good"].score.sum() == 5
    assert set(there.loc["blank"].status) == {"failed"} and there.loc["blank"].score.sum() == 0
    assert there.loc["blank"].message.str.contains("NotImplementedError: not done yet").all()
    for sid in ("good", "blank"):
        assert (out / "autograded" / sid / "03_toy.ipynb").exists(), sid
    assert len(list((out / "cache").glob("*.json"))) == 2  # one notebook each
    cached = digest(out / "cache")
    shutil.rmtree(out / "autograded")
    capsys.readouterr()
    pd.testing.assert_frame_equal(grade_there(), there)
    assert digest(out / "cache") == cached  # nothing ran again
    printed = capsys.readouterr().out
    assert "2 submission(s) graded before, unchanged" in printed and "graded on" not in printed
    for sid in ("good", "blank"):  # the executed notebooks, from the cache
        assert (out / "autograded" / sid / "03_toy.ipynb").exists(), sid
    # a late submission: only its student gets a job; the rows keep the class's order
    (subs / "late").mkdir()
    (subs / "late" / "03_toy.ipynb").write_text((src / "03_toy.ipynb").read_text() + "\n")
    late = grade_there()
    printed = capsys.readouterr().out
    assert "2 submission(s) graded before, unchanged" in printed and "graded on" in printed
    assert list(dict.fromkeys(late.index.get_level_values("student"))) == ["blank", "good", "late"]
    pd.testing.assert_frame_equal(late.loc[["blank", "good"]], there)
    assert list(late.loc["late"].status) == ["passed", "passed"]


def test_students_folder_errors(tmp_path):
    with pytest.raises(grading.ParameterError, match="is not a folder"):
        grading.students(tmp_path / "nope")
    with pytest.raises(grading.ParameterError, match="holds no student folders"):
        grading.students(tmp_path)
    (tmp_path / "a b").mkdir()
    (tmp_path / "a_b").mkdir()
    with pytest.raises(grading.ParameterError, match="clash"):
        grading.students(tmp_path)


def test_feedback_page_names_failed_checks(tmp_path):
    rows = [dict(student="s", notebook="03_encoder", exercise="ex3", score=0.0, max_score=2.0,
                 status="failed", message="AssertionError: the latent layer <is> too wide"),
            dict(student="s", notebook="07_report", exercise="ex7", score=3.0, max_score=3.0,
                 status="passed", message="")]
    text = feedback.write(tmp_path / "s.html", "s", rows, 12.0).read_text()
    assert "3 of 5 points" in text and "the latent layer &lt;is&gt; too wide" in text


# --- the real notebooks --------------------------------------------------------------------

def run_make_student(build: Path) -> Path:
    env = dict(os.environ, ANOMALY_KIT_BUILD=str(build))
    done = subprocess.run([sys.executable, "-m", "helpers.course"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return build / "student"


@pytest.fixture(scope="module")
def kit_student(tmp_path_factory) -> Path:
    """The build folder of one `make student`, shared by the tests that read it."""
    build = tmp_path_factory.mktemp("kit-student") / "build"
    run_make_student(build)
    return build


def test_student_copy_of_the_kit(kit_student):
    student = kit_student / "student"
    names = sorted(p.name for p in (student / "notebooks").glob("*.ipynb"))
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert not (student / "notebooks" / "src").exists() and not (student / "tests").exists()
    assert (student / "Makefile").exists() and (student / "helpers" / "session.py").exists()
    assert not (student / "helpers" / "hidden_checks.py").exists()  # the hidden tests' cases
    for nb in (student / "notebooks").glob("*.ipynb"):
        text = nb.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, nb.name
    graded = [nb for nb in (student / "notebooks").glob("*.ipynb") if course.exercises(nb)]
    assert len(graded) >= 5
    for nb in graded:
        assert "not done yet" in nb.read_text(), nb.name
    with zipfile.ZipFile(kit_student / "student.zip") as zf:
        listed = zf.namelist()
    assert "anomaly-kit-student/notebooks/03_encoder.ipynb" in listed
    assert not any("/src/" in n or "/tests/" in n for n in listed)


WRONG_EX7 = '''def anomaly_class_scores(y_true, y_pred):
    from sklearn.metrics import precision_recall_fscore_support
    # the seeds' mistake: predictions and truth swapped
    p, r, f, _ = precision_recall_fscore_support(y_pred, y_true, average="binary", zero_division=0)
    return {"precision": float(p), "recall": float(r), "f1": float(f)}
'''


def four_submissions(subs: Path, student: Path) -> Path:
    """The class of the grading tests, in ``subs``: the solutions, the students' copy
    untouched (``student``, made with ``make student``), one exercise wrong, one check
    cell edited."""
    mine = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for name in ("solution", "wrong", "tampered"):
        (subs / name).mkdir(parents=True)
        for nb in mine:
            shutil.copy(nb, subs / name / nb.name)
    shutil.copytree(student / "notebooks", subs / "blank" / "notebooks")
    set_solution(subs / "wrong" / "07_report.ipynb", "ex7_1_anomaly_class_scores", WRONG_EX7)
    set_solution(subs / "tampered" / "06_threshold.ipynb", "ex6_1_threshold_tests",
                 'print("all checks passed")')
    return subs


def grade(subs: Path, build: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANOMALY_KIT_BUILD=str(build))
    return subprocess.run([sys.executable, "-m", "helpers.grading", str(subs), "--quick", "1",
                           "--models", "kit_dense", "--cell-timeout", "300", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True)


def test_grade_a_class_in_quick_mode(tmp_path, kit_student):
    """Four submissions of the real notebooks, graded as `make grade QUICK=1
    MODELS=kit_dense` does: the solutions, the untouched students' copy, one exercise
    wrong, one check cell edited. Grading again reuses every notebook's grades. (Grading
    on a Dask cluster has a toy test of its own.)"""
    build = tmp_path / "build"
    subs = four_submissions(tmp_path / "submissions", kit_student / "student")
    before = digest(subs)
    done = grade(subs, build)
    print(done.stdout)  # the grading's own summary, with its times (pytest -s shows it)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert digest(subs) == before  # submissions are never modified
    grades = pd.read_csv(build / "grades" / "grades.csv")
    assert list(grades.columns) == grading.COLUMNS
    total = grades.groupby("student").score.sum()
    full = grades.groupby("student").max_score.sum()
    assert full.nunique() == 1 and full.iloc[0] >= 10
    by = grades.set_index(["student", "exercise"])
    assert total["solution"] == full["solution"], by.loc["solution"].to_dict()
    assert total["blank"] == 0
    assert set(by.loc["blank"].status) == {"failed"}
    assert by.loc["blank"].message.str.contains("not done yet").all()
    ex7 = by.loc[("wrong", "ex7_1_anomaly_class_scores")]
    assert ex7.score == 0 and ex7.status == "failed"
    assert total["wrong"] == full["wrong"] - ex7.max_score  # only that exercise's points
    ex6 = by.loc[("tampered", "ex6_1_threshold")]
    assert ex6.status == "flagged" and ex6.score == 0
    assert total["tampered"] == full["tampered"] - ex6.max_score
    page = (build / "grades" / "feedback" / "wrong.html").read_text()
    assert "ex7_1_anomaly_class_scores" in page and "Error" in page
    for sid in ("solution", "blank", "wrong", "tampered"):
        assert (build / "grades" / "autograded" / sid / "07_report.ipynb").exists()
        assert sid in done.stdout
    # identical notebooks were graded once: the wrong and tampered copies ran one notebook each
    assert len(list((build / "grades" / "cache").glob("*.json"))) == 12
    again = grade(subs, build)
    print(again.stdout)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "reusing" in again.stdout
    assert "4 submission(s) graded before, unchanged" in again.stdout
    assert pd.read_csv(build / "grades" / "grades.csv").equals(grades)


def test_bad_grading_arguments_fail_early(tmp_path, capsys):
    (tmp_path / "alice").mkdir()
    assert grading.main([str(tmp_path), "--dataset", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert grading.main([str(tmp_path), "--cell-timeout", "0"]) == 2
    assert "--cell-timeout=0" in capsys.readouterr().err
    assert grading.main([str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.second_stream
def test_a_notebook_that_crashes_costs_only_its_own_points(tmp_path, monkeypatch):
    """A kernel that dies in one notebook, a file that is not a notebook, or a linked file
    leaves the student's other notebooks graded as usual."""
    monkeypatch.setenv("ANOMALY_KIT_BUILD", str(tmp_path / "build"))
    src = tmp_path / "notebooks"
    toy_notebook(src / "03_toy.ipynb", TOY[:1])
    toy_notebook(src / "04_toy.ipynb", TOY[1:])
    released = course.release(src)
    graded = {nb: course.exercises(released / f"{nb}.ipynb") for nb in ("03_toy", "04_toy")}
    (tmp_path / "sub").mkdir()
    for nb in ("03_toy", "04_toy"):
        shutil.copy(src / f"{nb}.ipynb", tmp_path / "sub")
    set_solution(tmp_path / "sub" / "03_toy.ipynb", "ex_a", "import os\nos._exit(1)")
    rows, _ = grading.grade_student(tmp_path / "sub", released, graded, tmp_path, grading.Limits(),
                                    tmp_path / "out")
    got = pd.DataFrame(rows).set_index("exercise")
    assert got.loc["ex_a", "score"] == 0 and got.loc["ex_a", "status"] == "failed"
    assert got.loc["ex_b", "score"] == 3 and got.loc["ex_b", "status"] == "passed"
    (tmp_path / "sub" / "03_toy.ipynb").write_text("{ not json")
    rows, _ = grading.grade_student(tmp_path / "sub", released, graded, tmp_path, grading.Limits(),
                                    tmp_path / "out")
    got = pd.DataFrame(rows).set_index("exercise")
    assert got.loc["ex_a", "status"] == "failed" and "not a readable notebook" in got.loc["ex_a", "message"]
    assert got.loc["ex_b", "score"] == 3
    (tmp_path / "sub" / "04_toy.ipynb").unlink()
    (tmp_path / "sub" / "04_toy.ipynb").symlink_to(src / "04_toy.ipynb")
    assert grading.find_notebooks(tmp_path / "sub", ["04_toy.ipynb"]) == {}  # not the student's own
