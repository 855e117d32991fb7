"""The HTML page of a run (helpers.html_report): built from a tiny fake run."""
import base64
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pandas as pd
import pytest

from helpers import html_report, summary


def png() -> str:
    """A 2x2 red PNG, base64-encoded."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return base64.b64encode(data).decode()


PNG = png()


def notebook(path: Path, title: str) -> None:
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("plot()", execution_count=1)
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{title} printed\n"),
                    nbformat.v4.new_output("display_data",
                                           data={"image/png": PNG, "text/plain": "<Figure>"})]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), code]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def metrics() -> pd.DataFrame:
    base = dict.fromkeys(summary.COLUMNS, float("nan"))
    rows = []
    for model, kind, method, chosen, pr, val_pr, warning in [
            ("deep", "autoencoder", "percentile_98", True, 0.61234, 0.5, ""),
            ("deep", "autoencoder", "mean_3std", False, 0.61234, 0.5, "flags 40% <of rows>"),
            ("shallow", "autoencoder", "percentile_98", True, 0.7, 0.4,
             "test: flags 12%, 6.0x the anomaly share"),
            ("iforest", "baseline", "percentile_98", True, 0.45678, 0.3, "")]:
        rows.append({**base, "dataset": "synthetic", "model": model, "kind": kind,
                     "threshold_method": method, "chosen": chosen, "roc_auc": 0.812345,
                     "pr_auc": pr, "f1": 0.55555, "val_pr_auc": val_pr, "warning": warning,
                     "n_test_anomalies": 20, "fit_seconds": 1.23456, "quick": True})
    df = pd.DataFrame(rows)[summary.COLUMNS]
    df["warning"] = df["warning"].replace("", float("nan"))  # as read back from metrics.csv
    return df


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.scripts, self.links, self.red, self._in_red = [], [], [], [], 0
        self.order = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append(a[key])
        if tag == "script":
            self.scripts.append(a.get("src") or "")
        if tag == "link":
            self.links.append(a.get("href") or "")
        if "failure" in (a.get("class") or "").split() or self._in_red:
            self._in_red += 1
        if tag in ("h2", "div"):
            self.order.append((tag, a.get("class", "")))

    def handle_endtag(self, tag):
        if self._in_red:
            self._in_red -= 1

    def handle_data(self, data):
        if self._in_red:
            self.red.append(data)


@pytest.fixture
def run(tmp_path):
    out = tmp_path / "build"
    runs = {"synthetic": out / "runs" / "synthetic", "nab": out / "runs" / "nab-1234abcd",
            "gone": out / "runs" / "gone"}
    notebook(runs["synthetic"] / "01_import.ipynb", "Import")
    notebook(runs["synthetic"] / "02_load.ipynb", "Load")
    notebook(runs["nab"] / "01_import.ipynb", "Import nab")
    (runs["nab"] / "02_load.ipynb").write_text("{not a notebook")  # fails to convert
    timings = pd.DataFrame([
        dict(dataset="synthetic", notebook="01_import.ipynb", seconds=1.5, status="ok"),
        dict(dataset="synthetic", notebook="02_load.ipynb", seconds=2.25, status="ok"),
        dict(dataset="nab", notebook="01_import.ipynb", seconds=3.0, status="ok"),
        dict(dataset="nab", notebook="02_load.ipynb", seconds=4.0, status="failed")])
    return out, runs, timings


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_a_successful_run(run):
    out, runs, timings = run
    index = html_report.write(out, runs, timings, metrics(), [], quick=True, elapsed=12.345)
    report = out / "report"
    assert index == report / "index.html" and index.exists()
    assert not list(report.glob(".*.tmp"))
    text = index.read_text(encoding="utf-8")
    p = parse(index)

    # every link is relative and leads to a file of the report folder
    assert p.refs
    for ref in p.refs:
        assert not re.match(r"[a-z]+:", ref) and not ref.startswith("/"), ref
        assert (report / unquote(ref)).is_file(), ref
    assert "notebooks/synthetic/01_import.html" in p.refs
    assert p.refs.index("notebooks/synthetic/01_import.html") < p.refs.index(
        "notebooks/synthetic/02_load.html")
    assert not p.scripts and not p.links  # inline CSS only, no scripts

    # title, quick note, numbers at 3 decimals, warnings marked and escaped
    assert re.search(r"<h1>Run of \d{4}-\d\d-\d\d \d\d:\d\d</h1>", text)
    assert "quick mode: a smoke test, not a result" in text
    assert "0.612" in text and "0.61234" not in text
    assert 'title="test: flags 12%, 6.0x the anomaly share"' in text
    # shallow in the chosen table and the full one; deep's mean_3std in the full one only
    assert text.count('<tr class="warn">') == 3
    assert "flags 40% &lt;of rows&gt;" in text and "<of rows>" not in text
    assert "<details>" in text and "<summary>every threshold method</summary>" in text
    chosen_table = text.split("<details>")[0]
    assert "mean_3std" not in chosen_table and "mean_3std" in text.split("<details>")[1]

    # key figures: the best autoencoder by validation PR-AUC, not by test PR-AUC
    section = text.split('<h3 id="synthetic">')[1].split("<h3")[0]
    assert "best autoencoder (by validation PR-AUC): <b>deep</b>" in section
    assert "test PR-AUC 0.612" in section
    assert "best baseline (by test PR-AUC): <b>iforest</b>" in section
    assert "1.5 s" in section and "2.2 s" in section

    # a notebook that does not convert is a line, a missing run folder is a note
    nab = text.split('<h3 id="nab">')[1].split("<h3")[0]
    assert "02_load.ipynb" in nab and "could not be converted" in nab
    assert "No run folder" in text.split('<h3 id="gone">')[1]
    assert "Total elapsed: <b>12.3 s</b>" in text
    assert "Failed" not in text


def test_the_summarys_notes_follow_the_metrics(run):
    out, runs, timings = run
    note = "Reference figures: 1 of 2 chosen rows differ:\n  - synthetic / deep: roc_auc <0.9>"
    text = html_report.write(out, runs, timings, metrics(), [], quick=False, elapsed=1.0,
                             notes=[note]).read_text(encoding="utf-8")
    assert '<pre class="summary">Reference figures: 1 of 2 chosen rows differ:\n' in text
    assert "roc_auc &lt;0.9&gt;" in text
    assert text.index("every threshold method") < text.index("Reference figures") < text.index("<h2>Datasets")


def test_the_notebooks_read_offline(run):
    out, runs, timings = run
    html_report.write(out, runs, timings, None, [], quick=False, elapsed=1.0)
    page = out / "report" / "notebooks" / "synthetic" / "02_load.html"
    text = page.read_text(encoding="utf-8")
    assert f"data:image/png;base64,{PNG}" in text
    assert "Load printed" in text
    p = parse(page)
    assert not p.scripts and not [h for h in p.links if h.startswith("http")]
    assert not [r for r in p.refs if re.match(r"https?:", r)]
    index = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert "quick mode" not in index and "<details>" not in index


def test_a_failed_run(run):
    out, runs, timings = run
    msg = ("synthetic: notebooks/02_load.ipynb failed in code cell 1 (In [1]): ValueError: x < 0"
           "\n    the executed notebook with the error is kept at build/runs/synthetic/02_load.ipynb")
    index = html_report.write(out, runs, timings, None, [msg], quick=False, elapsed=5.0)
    p = parse(index)
    text = index.read_text(encoding="utf-8")
    # the failure comes first, in red, with a link to the failed notebook's HTML
    assert p.order[0] == ("h2", "failed") and p.order[1] == ("div", "failure")
    assert "ValueError: x < 0" in "".join(p.red)
    assert "ValueError: x &lt; 0" in text
    block = text.split('<div class="failure">')[1].split("</div>")[0]
    assert 'href="notebooks/synthetic/02_load.html"' in block
    assert ".failure { color: #b00000" in text
    assert '<tr class="failed">' in text  # nab's failed notebook in the timings
    for ref in p.refs:
        assert (out / "report" / unquote(ref)).is_file(), ref


def test_stale_notebook_pages_are_removed(run):
    out, runs, timings = run
    html_report.write(out, runs, timings, None, [], quick=False, elapsed=1.0)
    (runs["synthetic"] / "02_load.ipynb").unlink()
    html_report.write(out, runs, timings, None, [], quick=False, elapsed=1.0)
    folder = out / "report" / "notebooks" / "synthetic"
    assert sorted(p.name for p in folder.iterdir()) == ["01_import.html"]
