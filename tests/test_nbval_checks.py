"""nbval really compares the checked cells: a changed reference output makes it fail."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def checked_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"
            and c.source.splitlines()[:1] == ["# NBVAL_CHECK_OUTPUT"]]


def test_every_notebook_has_checked_cells_with_the_marker_nbval_reads():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert checked_cells(nb), f"{path.name} has no cell nbval checks"
        for cell in nb.cells:  # a marker with more text on its line is silently ignored by nbval
            for line in cell.source.splitlines():
                if "NBVAL_CHECK_OUTPUT" in line:
                    assert line == "# NBVAL_CHECK_OUTPUT", f"{path.name}: {line!r}"


def test_nbval_fails_on_a_changed_reference_output(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "01_import.ipynb", as_version=4)
    cell = next(c for c in checked_cells(nb) if "datasets:" in c.source)
    out = next(o for o in cell.outputs if o.get("name") == "stdout")
    assert "synthetic, mnist" in out.text
    out.text = out.text.replace("synthetic, mnist", "synthetic, mnits")
    copy = tmp_path / "01_import.ipynb"
    nbformat.write(nb, copy)
    env = {**os.environ, "ANOMALY_KIT_BUILD": str(tmp_path / "build")}
    res = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider",
                          "-q", str(copy)], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=300)
    report = res.stdout + res.stderr
    assert res.returncode == 1, report
    assert "mnits" in report and "1 failed" in report, report
