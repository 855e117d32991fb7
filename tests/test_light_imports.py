"""Every process of a run starts quickly: importing ``helpers`` keeps nbformat's import
light, and notebooks still validate."""
import subprocess
import sys

from helpers import course, paths

CODE = """
import sys, time
import helpers
start = time.process_time()
import nbformat
took = time.process_time() - start
nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]))
print(sys.modules.get("rfc3987_syntax") is None, took)
"""


def test_nbformat_loads_without_building_the_iri_parsers():
    done = subprocess.run([sys.executable, "-c", CODE], cwd=paths.project_root(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    hidden, took = done.stdout.split()
    assert hidden == "True"  # jsonschema did without it; the notebook validated
    print(f"nbformat imported in {float(took):.2f} CPU-s")


def test_nbgrader_runs_through_helpers():
    cmd = course.nbgrader_command("--version")
    assert cmd[1:3] == ["-m", "helpers.nbgrader_cli"]
    done = subprocess.run(cmd, cwd=paths.project_root(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "nbgrader version" in done.stdout + done.stderr
