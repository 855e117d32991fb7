"""The runner's line per notebook: a live cell counter on a terminal, plain lines elsewhere."""
import io
import time

from nbformat.v4 import new_code_cell, new_markdown_cell

from helpers import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_elsewhere_the_line_is_the_label_then_the_time():
    out = io.StringIO()
    line = progress.NotebookLine("  synthetic    05_compile.ipynb      ", 3, stream=out)
    line.cell_started(cell=new_code_cell("x = 1"))
    line.done("  12.3s")
    assert out.getvalue() == "  synthetic    05_compile.ipynb        12.3s\n"


def test_on_a_terminal_the_line_counts_code_cells_and_seconds_then_ends_with_the_time():
    out = Terminal()
    line = progress.NotebookLine("  nab          02_load.ipynb         ", 2, stream=out, interval=0.05)
    line.cell_started(cell=new_code_cell("x = 1"))
    line.cell_started(cell=new_markdown_cell("text"))  # not counted
    time.sleep(0.2)  # redrawn while the cell runs
    assert line.text().startswith("  nab          02_load.ipynb         cell 1/2")
    line.cell_started(cell=new_code_cell("y = 2"))
    line.done("   4.0s")
    text = out.getvalue()
    assert text.count("cell 1/2") >= 2 and "cell 2/2" in text
    assert text.endswith("\r\x1b[K  nab          02_load.ipynb            4.0s\n")
    ended = len(text)
    time.sleep(0.15)
    assert len(out.getvalue()) == ended  # nothing drawn after the line ended


def test_code_cells_are_counted(tmp_path):
    import nbformat
    from nbformat.v4 import new_notebook

    nb = new_notebook(cells=[new_markdown_cell("a"), new_code_cell("1"), new_code_cell("2")])
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert progress.code_cells(tmp_path / "n.ipynb") == 2


def test_text_from_elsewhere_goes_above_a_live_line_which_is_drawn_again():
    out = Terminal()
    line = progress.NotebookLine("  nab          05_compile.ipynb      ", 4, stream=out, interval=10)
    line.cell_started(cell=new_code_cell("x = 1"))
    progress.interject("a kernel's own line", out)
    text = out.getvalue()
    assert text.endswith("\r\x1b[Ka kernel's own line\n  nab          05_compile.ipynb      cell 1/4      0s")
    line.done("   1.0s")
    progress.stop_all()  # nothing live any more: a no-op


def test_a_kernels_stderr_reaches_the_terminal_without_libzmqs_shutdown_assertion(tmp_path, capsys):
    from helpers import interruption

    path = tmp_path / "kernel.stderr"
    with open(path, "w+b") as f:
        f.write(b"Assertion failed: pfd.revents & POLLIN (src/signaler.cpp:238)\n"
                b"Fatal Python error: Segmentation fault\n")
        interruption.pass_on_kernel_stderr(f)
        assert f.closed
    assert capsys.readouterr().err == "Fatal Python error: Segmentation fault\n"
    assert not path.exists()
