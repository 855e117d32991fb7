"""The committed notebooks: in sync with their source, executed, and clean."""
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STEPS = ["01_import", "02_load", "03_encoder", "04_decoder", "05_compile", "06_threshold",
         "07_report", "08_tuning"]


def test_the_seven_steps_are_there():
    assert [p.stem for p in NOTEBOOKS] == STEPS


def test_notebooks_match_their_source():
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "build_notebooks.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_executed_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "anomaly-kit"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
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
