"""tools/notebooks.py on three toy notebooks in a temporary folder: sync, check, refresh.

Like the kit's notebooks, the toys pass a result along through a file in their folder
(``run.txt``, which the first one starts): a later toy fails unless the earlier ones ran.
"""
import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("notebook_tool", ROOT / "tools" / "notebooks.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

TOYS = {
    "01_first": "step = 1",
    "02_second": 'step = int(open("run.txt").read()) + 1',
    "03_third": 'step = int(open("run.txt").read()) + 1',
}


@pytest.fixture
def folder(tmp_path):
    """Three never-executed toys whose stored fingerprints are current, paired with src/*.py."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "jupytext.toml", folder)
    for name, first_line in TOYS.items():
        params = new_code_cell("quick = False")
        params.metadata["tags"] = ["parameters"]
        nb = new_notebook(cells=[
            new_markdown_cell(f"# {name}"),
            params,
            new_code_cell(f'{first_line}\nopen("run.txt", "w").write(str(step))'),
            new_code_cell(f'print("{name}", step)'),
        ])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["anomaly_kit"] = {"code_sha256": tool.code_fingerprint(nb)}
        nbformat.write(nb, folder / f"{name}.ipynb")
    assert tool.sync(folder, quiet=True) == list(TOYS)  # writes src/*.py
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def executed(folder: Path, name: str) -> bool:
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    return any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def printed(folder: Path, name: str) -> str:
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_the_toys_start_in_sync_and_current(folder):
    assert tool.check(folder) == []
    assert tool.sync(folder) == []
    assert not any(tool.is_stale(folder / f"{name}.ipynb") for name in TOYS)


def test_a_markdown_edit_is_synced_without_execution(folder, capsys):
    edit(folder / "src" / "02_second.py", "# # 02_second", "# # 02_second, reworded")
    assert tool.refresh(folder) == 0
    nb = nbformat.read(folder / "02_second.ipynb", as_version=4)
    assert nb.cells[0].source == "# 02_second, reworded"
    assert not any(executed(folder, name) for name in TOYS)
    assert not (folder.parent / "build").exists()
    out = capsys.readouterr().out
    assert "synced     notebooks/02_second.ipynb" in out
    assert all(f"unchanged  notebooks/{name}.ipynb" in out for name in TOYS)
    assert tool.check(folder) == []


def test_a_code_edit_executes_that_notebook_and_the_later_ones(folder, capsys):
    first = (folder / "01_first.ipynb").read_bytes()
    edit(folder / "src" / "02_second.py", 'print("02_second", step)', 'print("second:", step)')
    assert tool.refresh(folder) == 0
    out = capsys.readouterr().out
    # 01 ran into a throwaway copy, so that 02 found run.txt; its committed copy is untouched
    assert (folder / "01_first.ipynb").read_bytes() == first
    assert (folder.parent / "build" / "refresh" / "01_first.ipynb").exists()
    assert "unchanged  notebooks/01_first.ipynb, run into build/refresh/" in out
    assert "second: 2" in printed(folder, "02_second")
    assert "03_third 3" in printed(folder, "03_third")
    assert "executing  notebooks/03_third.ipynb ... executed" in out
    for name in TOYS:
        assert not tool.is_stale(folder / f"{name}.ipynb")
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        assert "papermill" not in nb.metadata
        assert not any("papermill" in c.metadata or "execution" in c.metadata for c in nb.cells)
    assert tool.check(folder) == []
    # the pairs are settled: neither a sync nor another refresh touches a file
    before = snapshot(folder)
    assert tool.sync(folder) == []
    assert tool.refresh(folder) == 0
    assert snapshot(folder) == before
    assert capsys.readouterr().out.count("unchanged") == len(TOYS)


def test_a_failing_cell_is_named(folder, capsys):
    edit(folder / "src" / "01_first.py", 'print("01_first", step)', 'raise ValueError("boom")')
    assert tool.main(["refresh", "--folder", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "FAILED: notebooks/01_first.ipynb failed in code cell 3" in out
    assert "ValueError: boom" in out
    assert tool.is_stale(folder / "01_first.ipynb")  # refreshed again next time
    assert not executed(folder, "02_second")


def test_check_names_the_notebook_that_disagrees(folder, capsys):
    path = folder / "03_third.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source += "\nstep += 1"
    nbformat.write(nb, path)
    edit(folder / "src" / "01_first.py", "tags=[\"parameters\"]", "tags=[\"parameters\", \"extra\"]")
    assert tool.check(folder) == ["01_first", "03_third"]
    assert tool.main(["check", "--folder", str(folder)]) == 1
    assert "01_first, 03_third" in capsys.readouterr().out
    (folder / "src" / "02_second.py").unlink()
    assert tool.check(folder) == ["01_first", "02_second", "03_third"]
