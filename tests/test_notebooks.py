"""The committed notebooks: in sync with their text sources, executed with the current code,
and clean. Nothing here executes a notebook."""
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
STEPS = ["01_import", "02_load", "03_encoder", "04_decoder", "05_compile", "06_threshold",
         "07_report", "08_tuning"]

_spec = importlib.util.spec_from_file_location("notebook_tool", ROOT / "tools" / "notebooks.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


def read(path):
    return nbformat.read(path, as_version=4)


def parameters_cells(nb):
    return [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


def test_the_eight_steps_are_there():
    assert [p.stem for p in NOTEBOOKS] == STEPS


def test_the_parameters_cell_is_the_same_everywhere():
    sources = {}
    for path in NOTEBOOKS:
        tagged = parameters_cells(read(path))
        assert len(tagged) == 1, f"{path.name}: exactly one papermill 'parameters' cell"
        sources[path.stem] = tagged[0].source
    first = sources[STEPS[0]]
    differ = [name for name, source in sources.items() if source != first]
    assert not differ, f"parameters cell differs from {STEPS[0]}'s in: {', '.join(differ)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_setup_cell_begins_its_own_notebook(path):
    nb = read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = code.index(parameters_cells(nb)[0])
    assert params + 1 < len(code), "no code cell after the parameters cell"
    found = re.search(r"""\bbegin\(\s*["']([^"']+)["']\s*,""", code[params + 1].source)
    assert found, "the first code cell after the parameters cell does not call begin(\"<name>\", ...)"
    assert found.group(1) == path.stem


def test_text_sources_agree_with_the_notebooks():
    differ = tool.check(FOLDER)
    assert not differ, (f"these notebooks and notebooks/src/*.py disagree: {', '.join(differ)}; "
                        "run `make notebooks` (or `python tools/notebooks.py sync`)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_reference_outputs_are_current(path):
    nb = read(path)
    assert tool.stored_fingerprint(nb) == tool.code_fingerprint(nb), (
        f"{path.name}: reference outputs are stale (its code changed since it was last "
        "executed): run `make notebooks`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_executed_and_clean(path):
    nb = read(path)
    assert nb.metadata["kernelspec"]["name"] == "anomaly-kit"
    tagged = parameters_cells(nb)
    assert len(tagged) == 1, "exactly one papermill 'parameters' cell"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "reference outputs missing: run `make notebooks`"
    assert any("NBVAL_CHECK_OUTPUT" in c.source for c in code)
    text = nbformat.writes(nb)
    assert '"output_type": "error"' not in text
    assert not re.search(r"(/work/|/root/|/tmp/|/home/[a-z])", text), "absolute path in outputs"
    for noise in ("I0000 ", "oneDNN custom operations", "cpu_feature_guard", "absl::InitializeLog",
                  "WARNING:tensorflow", "━━━━"):
        assert noise not in text, noise


# -- graded exercises (nbgrader) --------------------------------------------------------------
EXERCISE_STEPS = ["03_encoder", "04_decoder", "05_compile", "06_threshold", "07_report"]
HEADING = re.compile(r"^## Exercise (\d+)\.(\d+): \S.* \((\d+) points?\)$")
FIRST_LINE = "# Checks for exercise {n} ({points} point{s}). Run this cell; do not edit it."


def grading(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def exercises_of(nb) -> list[tuple]:
    """(heading cell, solution cell, test cell) for every solution cell, by position."""
    cells = nb.cells
    return [(cells[i - 1] if i else None, cell, cells[i + 1] if i + 1 < len(cells) else None)
            for i, cell in enumerate(cells) if grading(cell).get("solution")]


def exercise_path(step):
    return FOLDER / f"{step}.ipynb"


@pytest.mark.parametrize("step", EXERCISE_STEPS)
def test_each_exercise_is_heading_solution_and_tests(step):
    nb = read(exercise_path(step))
    found = exercises_of(nb)
    assert found, f"{step}: no exercise"
    graded = [c for c in nb.cells if grading(c).get("grade")]
    assert len(graded) == len(found), f"{step}: a test cell that follows no solution cell"
    for k, (heading, solution, tests) in enumerate(found, start=1):
        number = f"{int(step[:2])}.{k}"
        assert heading is not None and heading.cell_type == "markdown"
        title = heading.source.splitlines()[0]
        match = HEADING.match(title)
        assert match, f"{step}: the cell before solution {grading(solution)['grade_id']} must start " \
                      f"with '## Exercise {number}: <title> (<n> points)', not {title!r}"
        assert f"{match[1]}.{match[2]}" == number, f"{title!r}: expected exercise {number}"
        assert tests is not None and grading(tests).get("grade"), \
            f"exercise {number}: no test cell right after its solution"
        assert grading(tests)["grade_id"] == grading(solution)["grade_id"] + "_tests"
        points = grading(tests)["points"]
        assert int(match[3]) == points, \
            f"exercise {number}: the heading says {match[3]} points, the test cell {points}"
        first = FIRST_LINE.format(n=number, points=points, s="" if points == 1 else "s")
        assert tests.source.splitlines()[0] == first
        names = re.findall(r"^def (\w+)\(", solution.source, re.M)
        assert len(names) == 1, f"exercise {number}: the solution cell defines one function"
        assert f"`{names[0]}(" in heading.source, \
            f"exercise {number}: the heading's text names `{names[0]}(...)`"
        assert re.search(rf"\b{names[0]}\b", tests.source), f"exercise {number}: the tests call {names[0]}"


def test_grade_ids_are_unique_across_the_notebooks():
    ids = [grading(c)["grade_id"] for step in EXERCISE_STEPS
           for c in read(exercise_path(step)).cells if grading(c)]
    assert ids and len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    elsewhere = [p.stem for p in NOTEBOOKS if p.stem not in EXERCISE_STEPS
                 and any(grading(c) for c in read(p).cells)]
    assert not elsewhere, f"graded cells outside notebooks 03-07: {elsewhere}"


@pytest.mark.parametrize("step", EXERCISE_STEPS)
def test_exercise_cells_are_well_formed(step):
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    nb = read(exercise_path(step))
    MetadataValidatorV3().validate_nb(nb)  # what nbgrader itself checks
    for _, solution, tests in exercises_of(nb):
        assert grading(solution) == {"grade": False, "grade_id": grading(solution)["grade_id"],
                                     "locked": False, "schema_version": 3, "solution": True}
        assert {k: v for k, v in grading(tests).items() if k not in ("grade_id", "points")} == \
            {"grade": True, "locked": True, "schema_version": 3, "solution": False}
        assert isinstance(grading(tests)["points"], int) and grading(tests)["points"] > 0
        # the solution is a function body: indented, so that the stub still defines the function
        lines = solution.source.splitlines()
        begin, end = lines.index("    ### BEGIN SOLUTION"), lines.index("    ### END SOLUTION")
        assert begin < end
        assert any(re.match(r"def \w+\(", line) for line in lines[:begin]), "the solution sits in a function"
        text = tests.source
        assert text.count("### BEGIN HIDDEN TESTS") == 1 and text.count("### END HIDDEN TESTS") == 1
        visible, hidden = text.split("### BEGIN HIDDEN TESTS")
        hidden = hidden.split("### END HIDDEN TESTS")[0]
        # the visible checks live in helpers.exercises, the hidden ones in helpers.hidden_checks,
        # which the students' copy leaves out
        assert "exercises.check" in visible and "hidden_checks" not in visible
        assert "hidden_checks.check" in hidden and "exercises.check" not in hidden
        assert "exercises.passed(" in visible
        for cell in (solution, tests):
            assert "NBVAL_CHECK_OUTPUT" not in cell.source, "nbval must not compare an exercise's output"


@pytest.mark.parametrize("step", EXERCISE_STEPS)
def test_student_copies_define_the_functions_and_hide_the_hidden_tests(step):
    import ast
    import copy

    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    nb = read(exercise_path(step))
    student, _ = ClearSolutions().preprocess(copy.deepcopy(nb), {})
    student, _ = ClearHiddenTests().preprocess(student, {})
    for (_, solution, tests), (_, stub, visible) in zip(exercises_of(nb), exercises_of(student)):
        assert "BEGIN SOLUTION" not in stub.source and "raise NotImplementedError()" in stub.source
        defined = [n for n in ast.parse(stub.source).body if isinstance(n, ast.FunctionDef)]
        assert [d.name for d in defined] == re.findall(r"^def (\w+)\(", solution.source, re.M)
        assert "HIDDEN" not in visible.source and "exercises.check" in visible.source
        ast.parse(visible.source)


@pytest.mark.parametrize("step", EXERCISE_STEPS)
def test_reference_outputs_show_every_check_passing(step):
    for _, _, tests in exercises_of(read(exercise_path(step))):
        number = re.match(r"# Checks for exercise (\S+) ", tests.source)[1]
        text = "".join(o.get("text", "") for o in tests.get("outputs", []))
        for kind in ("visible", "hidden"):
            assert f"✓ Exercise {number}: all {kind} checks passed" in text, (number, kind)


def module_bindings(source: str) -> tuple[set, set, set]:
    """The names a cell binds at module level (assignments, definitions), the ones it
    imports, and every name it reads."""
    import ast

    code = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(code))
    bound, imported = set(), set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    read_names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return bound, imported, read_names


@pytest.mark.parametrize("step", EXERCISE_STEPS)
def test_the_kit_never_depends_on_an_exercise(step):
    """A student's broken exercise cannot break the rest of the notebook: no other cell reads
    what an exercise cell defines, and no exercise cell redefines a name of the kit's cells."""
    cells = [c for c in read(exercise_path(step)).cells if c.cell_type == "code"]
    kit = [c for c in cells if not grading(c)]
    kit_names = set().union(*(b | i for b, i, _ in map(module_bindings, (c.source for c in kit))))
    known, from_exercises = set(), set()
    for cell in cells:
        bound, imported, read_names = module_bindings(cell.source)
        if grading(cell):
            clash = bound & kit_names
            assert not clash, f"{grading(cell)['grade_id']} redefines the kit's {sorted(clash)}"
            from_exercises |= (bound | imported) - known
        else:
            used = read_names & from_exercises
            assert not used, f"a cell of the kit reads {sorted(used)}, which only an exercise cell defines"
            known |= bound | imported
