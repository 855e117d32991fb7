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
