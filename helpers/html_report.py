"""An HTML page of a ``make run-all`` run: ``<out>/report/index.html``.

``write`` converts every executed notebook of each run folder to a standalone HTML file,
``<out>/report/notebooks/<run folder>/NN_name.html`` (figures embedded as data: URIs), and
writes a page that shows, in order: the run's date and time (and the quick-mode note), the
failures in red with links to the failed notebooks, the metrics at each detector's chosen
threshold (every threshold method in a closed <details>), a section per dataset with its
key figures and links to its notebooks, and the timings.

The page and the notebooks read offline: inline CSS only, no scripts (the notebooks are
converted with nbconvert's "lab" template less its require.js, MathJax, Mermaid and widget
scripts, none of which a table or a figure needs), and every link is relative, so the
report folder can be zipped and moved.
"""
from __future__ import annotations

import datetime
import html
import logging
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from . import summary
from .runstate import atomic_write

# as helpers.runner.QUICK_NOTE (not imported: the runner imports this module)
QUICK_NOTE = "quick mode: a smoke test, not a result"
NOTEBOOKS = "notebooks"  # under the report folder
COUNTS = {"tn", "fp", "fn", "tp", "n_test", "n_test_anomalies", "events", "seed"}  # no decimals
KEY_FIGURES = [("roc_auc", "test ROC-AUC"), ("pr_auc", "test PR-AUC"), ("f1", "test F1")]
# nbconvert's lab template without the scripts it loads from CDNs
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 80em; padding: 0 1em;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 1.6em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; vertical-align: top; }
th { background: #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.quick { color: #8a5a00; font-weight: bold; }
.failure { color: #b00000; border: 2px solid #b00000; background: #fff0f0; padding: 0.5em;
           margin: 0.5em 0; white-space: pre-wrap; font-family: monospace; }
.failed, .failed td { color: #b00000; font-weight: bold; }
tr.warn td { background: #fff3cd; }
.mark { color: #8a5a00; font-weight: bold; text-align: center; }
.note { color: #555; }
pre.summary { white-space: pre-wrap; font-family: inherit; background: #f6f6f6; padding: 0.5em; }
details { margin: 0.8em 0; } summary { cursor: pointer; }
div.wide { overflow-x: auto; } td { white-space: nowrap; }
"""


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def href(path: Path, start: Path) -> str:
    """A relative, quoted link from the folder ``start`` to ``path`` (below it)."""
    return esc(quote(path.relative_to(start).as_posix()))


def cell(value, count: bool = False) -> str:
    """A table cell: floats to 3 decimals (a ``count`` without), empty for missing values."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "<td></td>"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"<td>{esc(value)}</td>"
    text = str(value) if isinstance(value, int) else f"{value:.0f}" if count else f"{value:.3f}"
    return f'<td class="num">{esc(text)}</td>'


def table(df: pd.DataFrame, mark_warnings: bool = False) -> str:
    """``df`` as an HTML table; with ``mark_warnings`` a first column holds "!" for a
    row whose ``warning`` is not empty (its text in the title) and the row is amber."""
    cols = list(df.columns)
    head = (["<th>!</th>"] if mark_warnings else []) + [f"<th>{esc(c)}</th>" for c in cols]
    lines = [f"<div class=\"wide\"><table>\n<tr>{''.join(head)}</tr>"]
    for _, row in df.iterrows():
        warning = warning_of(row) if mark_warnings else ""
        cells = []
        if mark_warnings:
            cells.append(f'<td class="mark" title="{esc(warning)}">!</td>' if warning
                         else "<td></td>")
        cells += [cell(row[c].item() if hasattr(row[c], "item") else row[c], c in COUNTS)
                  for c in cols]
        attr = ' class="warn"' if warning else ""
        lines.append(f"<tr{attr}>{''.join(cells)}</tr>")
    lines.append("</table></div>")
    return "\n".join(lines)


def warning_of(row) -> str:
    value = row.get("warning", "")
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def chosen_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    flag = metrics["chosen"].astype(str).str.strip().str.lower().isin(["true", "1", "1.0"])
    return metrics[flag.to_numpy()].reset_index(drop=True)


def shown(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``df`` that it has, less those empty in every row (e.g. the event
    columns of a dataset that is not a time series)."""
    return df[[c for c in columns if c in df.columns]].dropna(axis=1, how="all")


# --- converting the notebooks --------------------------------------------------------

def exporter():
    import jinja2  # noqa: PLC0415
    from nbconvert import HTMLExporter  # noqa: PLC0415

    quiet = logging.getLogger(f"{__name__}.nbconvert")  # not "Alternative text is missing"
    quiet.setLevel(logging.ERROR)  # for every figure: a notebook that fails raises
    return HTMLExporter(template_name="lab", template_file="offline.html.j2",
                        extra_loaders=[jinja2.DictLoader({"offline.html.j2": OFFLINE_TEMPLATE})],
                        embed_images=True, exclude_anchor_links=True, log=quiet)


def convert_folder(run_dir: Path, target_dir: Path, make_exporter) -> list[tuple[str, Path | None, str]]:
    """Convert each executed notebook of ``run_dir`` (in notebook order) to
    ``target_dir/<stem>.html``; one (notebook name, html path or None, error) each. HTML
    files of earlier runs that this run has no notebook for are removed."""
    import nbformat  # noqa: PLC0415

    done = []
    for nb_path in sorted(run_dir.glob("[0-9][0-9]_*.ipynb")):
        target = target_dir / f"{nb_path.stem}.html"
        try:
            nb = nbformat.read(nb_path, as_version=4)
            body, _ = make_exporter().from_notebook_node(
                nb, resources={"metadata": {"name": nb_path.stem, "path": str(run_dir)}})
            atomic_write(target, lambda t, body=body: t.write_text(body, encoding="utf-8"))
            done.append((nb_path.name, target, ""))
        except Exception as err:  # noqa: BLE001 - a bad notebook is a line in the report
            target.unlink(missing_ok=True)
            done.append((nb_path.name, None, f"{type(err).__name__}: {err}"))
    if target_dir.is_dir():
        keep = {p for _, p, _ in done if p is not None}
        for old in target_dir.glob("*.html"):
            if old not in keep:
                old.unlink()
    return done


# --- the page ---------------------------------------------------------------------------

def failure_block(msg: str, runs: dict[str, Path], converted: dict, report: Path) -> str:
    """A failure message in red, with a link to the failed notebook's HTML when there is one."""
    link = ""
    dataset = msg.split(":", 1)[0].strip()
    found = re.search(r"(\d\d_[\w.-]+?)\.ipynb", msg)
    if dataset in runs and found:
        for name, path, _ in converted.get(dataset, []):
            if path is not None and Path(name).stem == found.group(1):
                link = (f'<br><a href="{href(path, report)}">the executed notebook '
                        f"{esc(name)} ({esc(dataset)})</a>")
    return f'<div class="failure">{esc(msg)}{link}</div>'


def key_figures(ds: str, picked: pd.DataFrame) -> str:
    rows = picked[picked["dataset"].astype(str) == ds] if "dataset" in picked.columns else picked[:0]
    if rows.empty:
        return '<p class="note">No metrics for this dataset.</p>'
    items = []
    kind = rows["kind"].astype(str) if "kind" in rows.columns else pd.Series("", index=rows.index)
    groups = [("best autoencoder (by validation PR-AUC)", rows[kind == "autoencoder"], "val_pr_auc"),
              ("best baseline (by test PR-AUC)", rows[kind == "baseline"], "pr_auc")]
    if (kind == "few labels").any():  # a labelled table: the detectors that read its labels
        groups.append(("best detector using the few labels (by validation PR-AUC)",
                       rows[kind == "few labels"], "val_pr_auc"))
    for label, part, by in groups:
        scores = pd.to_numeric(part[by], errors="coerce") if by in part.columns else pd.Series(dtype=float)
        if part.empty or scores.isna().all():
            items.append(f"<li>{esc(label)}: none</li>")
            continue
        best = part.loc[scores.idxmax()]
        figures = ", ".join(f"{name} {float(best[col]):.3f}" for col, name in KEY_FIGURES
                            if col in best.index and pd.notna(best[col]))
        method = f" at {best['threshold_method']}" if "threshold_method" in best.index else ""
        warning = warning_of(best)
        warn = f' <span class="mark" title="{esc(warning)}">! {esc(warning)}</span>' if warning else ""
        items.append(f"<li>{esc(label)}: <b>{esc(best['model'])}</b>{esc(method)}: "
                     f"{esc(figures)}{warn}</li>")
    return ("<ul>\n" + "\n".join(items) + "\n</ul>\n"
            '<p class="note">"Best" by the figure named; whether a lead over the others is larger '
            "than the noise of the test sample and of the training seed, 07_report says.</p>")


def page(out: Path, runs: dict[str, Path], timings: pd.DataFrame, metrics: pd.DataFrame | None,
         failures: list[str], quick: bool, elapsed: float, converted: dict,
         now: datetime.datetime, notes: list[str] | None = None) -> str:
    report = out / "report"
    title = f"Run of {now:%Y-%m-%d %H:%M}"
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{esc(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
             f"<h1>{esc(title)}</h1>"]
    if quick:
        parts.append(f'<p class="quick">{esc(QUICK_NOTE)}</p>')
    if failures:
        parts.append('<h2 class="failed">Failed</h2>')
        parts += [failure_block(m, runs, converted, report) for m in failures]

    picked = None
    if metrics is not None:
        picked = chosen_rows(metrics)
        csv = report / "metrics.csv"
        source = f' (<a href="{href(csv, report)}">metrics.csv</a>)' if csv.exists() else ""
        parts += ["<h2>Metrics at each detector's chosen threshold</h2>",
                  f'<p class="note">Test-set figures; "!" marks a warning (its text in the '
                  f"warning column){source}.</p>",
                  table(shown(picked, summary.HEADLINE), mark_warnings=True),
                  "<details>", "<summary>every threshold method</summary>",
                  table(shown(metrics, list(metrics.columns)), mark_warnings=True),
                  "</details>"]
    parts += [f'<pre class="summary">{esc(n)}</pre>' for n in notes or []]

    seconds = {}
    if timings is not None and not timings.empty:
        for _, t in timings.iterrows():
            seconds[(str(t.get("dataset")), str(t.get("notebook")))] = (t.get("seconds"), t.get("status"))
    parts.append("<h2>Datasets</h2>")
    for ds, run_dir in runs.items():
        parts.append(f'<h3 id="{esc(ds)}">{esc(ds)} <span class="note">'
                     f"(run folder {esc(Path(run_dir).name)})</span></h3>")
        if picked is not None:
            parts.append(key_figures(ds, picked))
        if ds not in converted:
            parts.append('<p class="note">No run folder: no executed notebooks.</p>')
            continue
        if not converted[ds]:
            parts.append('<p class="note">No executed notebooks in the run folder.</p>')
            continue
        items = []
        for name, path, error in converted[ds]:
            secs, status = seconds.get((ds, name), (None, None))
            when = f" {float(secs):.1f} s" if secs is not None and pd.notna(secs) else ""
            failed = ' <span class="failed">failed</span>' if status == "failed" else ""
            if path is None:
                items.append(f'<li>{esc(name)}{esc(when)}{failed} <span class="failed">'
                             f"could not be converted to HTML: {esc(error)}</span></li>")
            else:
                items.append(f'<li><a href="{href(path, report)}">{esc(name)}</a>{esc(when)}'
                             f"{failed}</li>")
        parts.append("<ul>\n" + "\n".join(items) + "\n</ul>")

    parts.append("<h2>Timings</h2>")
    if timings is not None and not timings.empty:
        rows = []
        for _, t in timings.iterrows():
            bad = str(t.get("status")) == "failed"
            secs = pd.to_numeric(t.get("seconds"), errors="coerce")
            cells = (cell(t.get("dataset")) + cell(t.get("notebook"))
                     + (f'<td class="num">{secs:.1f}</td>' if pd.notna(secs) else "<td></td>")
                     + cell(t.get("status")))
            attr = ' class="failed"' if bad else ""
            rows.append(f"<tr{attr}>{cells}</tr>")
        parts.append("<table>\n<tr><th>dataset</th><th>notebook</th><th>seconds</th>"
                     "<th>status</th></tr>\n" + "\n".join(rows) + "\n</table>")
    else:
        parts.append('<p class="note">No notebook ran.</p>')
    parts.append(f"<p>Total elapsed: <b>{elapsed:.1f} s</b></p>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write(out: Path, runs: dict[str, Path], timings: pd.DataFrame, metrics: pd.DataFrame | None,
          failures: list[str], quick: bool, elapsed: float, notes: list[str] | None = None) -> Path:
    """Write ``<out>/report/index.html`` and the HTML of every executed notebook of the
    run folders in ``runs`` (dataset -> run folder; a missing one is skipped); the page's
    path. ``metrics`` is the run's metrics table (None for a failed run), ``failures``
    the runner's failure messages, ``elapsed`` the run's seconds, ``notes`` the summary's
    paragraphs shown under the metrics (the comparison with the reference figures)."""
    out = Path(out)
    report = out / "report"
    made = []

    def make_exporter():
        if not made:
            made.append(exporter())
        return made[0]

    converted = {}
    for ds, run_dir in runs.items():
        run_dir = Path(run_dir)
        if run_dir.is_dir():
            converted[ds] = convert_folder(run_dir, report / NOTEBOOKS / run_dir.name, make_exporter)
    text = page(out, {ds: Path(r) for ds, r in runs.items()}, timings, metrics, list(failures),
                quick, elapsed, converted, datetime.datetime.now(), notes)
    return atomic_write(report / "index.html", lambda t: t.write_text(text, encoding="utf-8"))
