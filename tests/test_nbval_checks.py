"""nbval really compares the checked cells: a changed reference output makes it fail."""
import json
import os
import re
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


def run_nbval(path, tmp_path):
    env = {**os.environ, "ANOMALY_KIT_BUILD": str(tmp_path / "build")}
    res = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider",
                          "-q", str(path)], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=300)
    return res.returncode, res.stdout + res.stderr


def test_nbval_fails_on_a_changed_reference_output(tmp_path):
    """With one checked output changed, nbval fails on exactly that cell and shows the
    difference (``make test`` runs nbval on the notebooks as committed, where it passes)."""
    nb = nbformat.read(ROOT / "notebooks" / "01_import.ipynb", as_version=4)
    cell = next(c for c in checked_cells(nb) if "datasets:" in c.source)
    out = next(o for o in cell.outputs if o.get("name") == "stdout")
    assert "synthetic, mnist" in out.text
    out.text = out.text.replace("synthetic, mnist", "synthetic, mnits")
    changed = tmp_path / "changed" / "01_import.ipynb"
    changed.parent.mkdir()
    nbformat.write(nb, changed)
    code, report = run_nbval(changed, tmp_path)
    assert code == 1, report
    assert re.search(r"\b1 failed\b", report) and "Cell outputs differ" in report, report
    assert "+ datasets:   synthetic, mnits" in report and "- datasets:   synthetic, mnist" in report


def test_figures_from_training_are_compared_only_at_the_kits_level(monkeypatch, tmp_path):
    """notebooks/conftest.py: off the level (ARM, Apple, no AVX2, EXACT=0) or off Linux a cell marked
    '# exact figures only' still runs, but nbval does not compare its output."""
    import importlib.util
    from types import SimpleNamespace

    from helpers import cpu_level

    spec = importlib.util.spec_from_file_location("nb_conftest", ROOT / "notebooks" / "conftest.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)

    def items():
        return [SimpleNamespace(cell={"source": "# NBVAL_CHECK_OUTPUT\n# exact figures only\nprint(1)"},
                                options={"check": True}),
                SimpleNamespace(cell={"source": "# NBVAL_CHECK_OUTPUT\nprint(2)"}, options={"check": True})]

    monkeypatch.setattr(hooks, "_other_cpu", lambda path: None)  # as on the committed outputs' CPU
    monkeypatch.setattr(hooks, "_on_linux", lambda: True)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    for label, checked in ((cpu_level.LEVEL, [True, True]), ("off", [False, True]),
                           ("AVX2 (not this CPU)", [False, True])):
        monkeypatch.setattr(cpu_level, "label", lambda label=label: label)
        got = items()
        hooks.pytest_collection_modifyitems(None, got)
        assert [i.options["check"] for i in got] == checked
        assert (hooks.pytest_report_header(None) is None) == (label == cpu_level.LEVEL)
    nb = (ROOT / "notebooks" / "07_report.ipynb").read_text()
    assert nb.count(hooks.EXACT_ONLY) == 1  # the cell of every detector's figures

    # at the level, whichever CPU model made the committed outputs: compared (the header
    # names another model); not on macOS or Windows, where TensorFlow's blocks are not fixed
    monkeypatch.undo()
    monkeypatch.setattr(cpu_level, "label", lambda: cpu_level.LEVEL)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    monkeypatch.setattr(hooks, "_on_linux", lambda: True)
    another = "NotThisVendor family 0 model 0"  # no real CPU's signature
    for i, made_on in enumerate((cpu_level.signature(), another, None)):
        path = tmp_path / f"{i}.ipynb"
        path.write_text(json.dumps({"metadata": {hooks.METADATA_KEY: {"cpu": made_on}}}))
        got = [SimpleNamespace(cell={"source": "# NBVAL_CHECK_OUTPUT\n# exact figures only\nprint(1)"},
                               options={"check": True}, path=path)]
        hooks.pytest_collection_modifyitems(None, got)
        assert got[0].options["check"] is True
        assert (hooks._other_cpu(path) == another) == (made_on == another)
    monkeypatch.setattr(hooks, "_on_linux", lambda: False)  # macOS, Windows: blocks not fixed
    got = items()
    hooks.pytest_collection_modifyitems(None, got)
    assert [i.options["check"] for i in got] == [False, True]
    assert hooks.sys.platform in hooks.pytest_report_header(None)
    monkeypatch.setattr(hooks, "_on_linux", lambda: True)
    monkeypatch.setenv("KERAS_BACKEND", "jax")  # the committed outputs were made on TensorFlow
    got = items()
    hooks.pytest_collection_modifyitems(None, got)
    assert [i.options["check"] for i in got] == [False, True]
    assert "Keras on jax" in hooks.pytest_report_header(None)


def test_the_committed_notebooks_say_which_cpu_made_their_outputs():
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        meta = json.loads(nb.read_text())["metadata"]["anomaly_kit"]
        assert meta["cpu"].strip(), nb.name
