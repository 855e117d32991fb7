"""Every process of a run or a grading starts quickly: importing ``helpers`` keeps
nbformat's import light (jsonschema loads without rfc3987_syntax's parsers), and
notebooks still validate, with either validator nbformat may use."""
import os
import subprocess
import sys

from helpers import course, paths

CODE = """
import sys, time
import helpers
start = time.process_time()
import nbformat
took = time.process_time() - start
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
nbformat.validate(nb)
bad = nbformat.v4.new_notebook()
bad.cells.append({"cell_type": "code", "id": "a", "source": 1, "metadata": {}})
try:
    nbformat.validate(bad)
    refused = False
except Exception as err:  # each validator has its own error class
    refused = type(err).__name__ in ("ValidationError", "NotebookValidationError")
print("jsonschema._format" in sys.modules, sys.modules.get("rfc3987_syntax") is None, refused, took)
"""


def test_nbformat_loads_without_building_the_iri_parsers():
    for validator in ("fastjsonschema", "jsonschema"):
        done = subprocess.run([sys.executable, "-c", CODE], cwd=paths.project_root(),
                              env=dict(os.environ, NBFORMAT_VALIDATOR=validator),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        loaded, hidden, refused, took = done.stdout.split()
        assert loaded == "True" and hidden == "True", validator  # jsonschema did without it
        assert refused == "True", validator  # and still tells a bad notebook from a good one
        print(f"{validator}: nbformat imported in {float(took):.2f} CPU-s")


def test_nbgrader_runs_through_helpers():
    cmd = course.nbgrader_command("--version")
    assert cmd[1:3] == ["-m", "helpers.nbgrader_cli"]
    done = subprocess.run(cmd, cwd=paths.project_root(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "nbgrader version" in done.stdout + done.stderr
