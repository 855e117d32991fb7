"""The runner's line for one notebook: which code cell is running and for how long.

On a terminal the line is redrawn once a second while the notebook runs
(``  synthetic    05_compile.ipynb       cell 7/19    43s``) and ends as the runner's
usual line, with the notebook's time. Elsewhere (a log file, CI) nothing is redrawn:
the label is printed when the notebook starts and the time when it ends, as before.
"""
from __future__ import annotations

import sys
import threading
import time

_CLEAR = "\r\x1b[K"  # back to the start of the line, erase it
_LIVE: set = set()  # the lines being redrawn now


def interject(text: str, stream=None) -> None:
    """Write ``text`` (ending it with a newline) to ``stream`` (default stderr) on lines of
    its own: a live notebook line is erased first and drawn again below it."""
    stream = stream or sys.stderr
    text = text if text.endswith("\n") else text + "\n"
    lines = list(_LIVE)
    if not lines:
        stream.write(text)
        stream.flush()
        return
    for line in lines:  # normally one: the runner draws live lines one at a time
        line.above(text, stream)


def stop_all() -> None:
    """Stop redrawing every live line (an interrupted run prints its own last words)."""
    for line in list(_LIVE):
        line._stop.set()


def code_cells(nb_path) -> int:
    """How many code cells a notebook has (papermill adds one, its parameters)."""
    import nbformat  # noqa: PLC0415

    return sum(c.cell_type == "code" for c in nbformat.read(nb_path, as_version=4).cells)


class NotebookLine:
    """``line.cell_started(cell=..., cell_index=...)`` is nbclient's ``on_cell_start``
    hook; ``line.done(text)`` ends the line with ``text``. ``live``: redraw the line
    (default: when ``stream`` is a terminal)."""

    def __init__(self, label: str, total: int, stream=None, live: bool | None = None,
                 interval: float = 1.0):
        self.label, self.total = label, total
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self.interval = interval
        self.cell = 0
        self.start = time.perf_counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = None
        if self.live:
            _LIVE.add(self)
            self._draw()
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        else:
            self._write(label)

    def text(self) -> str:
        """The live line as it stands."""
        return (f"{self.label}cell {self.cell}/{self.total}  "
                f"{time.perf_counter() - self.start:5.0f}s")

    def cell_started(self, cell=None, cell_index=None, **_) -> None:
        if cell is None or cell.cell_type == "code":
            self.cell = min(self.cell + 1, self.total)
            if self.live:
                self._draw()

    def done(self, text: str) -> None:
        """End the line with ``text`` (the notebook's time, or FAILED)."""
        self._stop.set()
        _LIVE.discard(self)
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self.stream.write(f"{_CLEAR}{self.label}{text}\n" if self.live else f"{text}\n")
            self.stream.flush()

    def above(self, text: str, stream) -> None:
        """Write ``text`` (whole lines) to ``stream`` above this line, then redraw it."""
        with self._lock:
            self.stream.write(_CLEAR)
            self.stream.flush()
            stream.write(text)
            stream.flush()
            if not self._stop.is_set():
                self.stream.write(self.text())
                self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            if not self._stop.is_set():
                self.stream.write(_CLEAR + self.text())
                self.stream.flush()

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


class EventLine:
    """A notebook's line for a job on a cluster: the calls of :class:`NotebookLine`, each
    sent as an event dict to ``send`` (the job passes them on to the terminal that
    started the run, where :class:`JobLines` draws them)."""

    def __init__(self, send, notebook: str, total: int):
        self.send = send
        send({"kind": "notebook", "notebook": notebook, "cells": total})

    def cell_started(self, cell=None, cell_index=None, **_) -> None:
        if cell is None or cell.cell_type == "code":
            self.send({"kind": "cell"})

    def done(self, text: str) -> None:
        self.send({"kind": "done", "text": text})


class JobLines:
    """The notebook lines of jobs that run elsewhere, drawn from their events. With
    ``whole_lines`` (jobs side by side), a notebook's line is printed whole when it ends;
    otherwise each notebook gets its live :class:`NotebookLine`, as in a run on one
    machine. ``label(job)`` names a job's lines (its dataset)."""

    def __init__(self, whole_lines: bool, stream=None):
        self.whole = whole_lines
        self.stream = stream or sys.stdout
        self.open: dict = {}  # job -> its notebook's line (or label, for whole lines)
        self.lock = threading.Lock()

    def event(self, job: str, event: dict) -> None:
        kind = event.get("kind")
        with self.lock:
            if kind == "notebook":
                label = f"  {job:<12} {event['notebook']:<22}"
                self.open[job] = label if self.whole else NotebookLine(label, event["cells"],
                                                                         self.stream)
            elif kind == "cell" and not self.whole and job in self.open:
                self.open[job].cell_started()
            elif kind == "done" and job in self.open:
                line = self.open.pop(job)
                if self.whole:
                    self.stream.write(f"{line}{event['text']}\n")
                    self.stream.flush()
                else:
                    line.done(event["text"])

    def close(self, job: str, text: str) -> None:
        """End ``job``'s open line, if any, with ``text`` (its worker was lost, say)."""
        self.event(job, {"kind": "done", "text": text})

