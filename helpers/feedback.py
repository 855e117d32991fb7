"""One student's feedback page: every exercise, its points, and why a check failed."""
from __future__ import annotations

import html
from pathlib import Path

STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .4em .6em; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
.passed { color: #1a7f37; } .failed, .missing, .not-graded { color: #b42318; }
.flagged { color: #b42318; font-weight: bold; }
pre { white-space: pre-wrap; margin: 0; font-size: 90%; }
"""
WHAT = {"passed": "passed", "failed": "a check failed", "missing": "notebook not handed in",
        "flagged": "FLAGGED: check cell changed", "not graded": "not graded"}


def page(student: str, rows: list[dict], seconds: float) -> str:
    total = sum(r["score"] for r in rows)
    of = sum(r["max_score"] for r in rows)
    lines = []
    for r in rows:
        css = r["status"].replace(" ", "-")
        message = f"<pre>{html.escape(r['message'])}</pre>" if r["message"] else ""
        lines.append(
            f"<tr><td>{html.escape(r['notebook'])}</td><td>{html.escape(r['exercise'])}</td>"
            f"<td class='num'>{r['score']:g} / {r['max_score']:g}</td>"
            f"<td class='{css}'>{WHAT.get(r['status'], r['status'])}{message}</td></tr>")
    failed = sum(r["status"] != "passed" for r in rows)
    advice = ("Every check passed." if not failed else
              f"{failed} exercise(s) lost points; the messages say what the checks found. Hidden "
              "checks run only at grading: a solution that passes the visible checks can still "
              "fail one, and the message names it.")
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>Feedback: {html.escape(student)}</title><style>{STYLE}</style></head><body>"
            f"<h1>Feedback for {html.escape(student)}</h1>"
            f"<p><strong>{total:g} of {of:g} points.</strong> {advice}</p>"
            "<table><tr><th>notebook</th><th>exercise</th><th>points</th><th>result</th></tr>"
            + "".join(lines) + f"</table><p><small>Graded in {seconds:.0f}s.</small></p>"
            "</body></html>\n")


def write(path: Path, student: str, rows: list[dict], seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(student, rows, seconds), encoding="utf-8")
    return path
