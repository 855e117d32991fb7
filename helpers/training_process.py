"""A process of its own for the trainings a Dask worker runs, started once and reused.

A Dask worker cannot train in its own process: its event loop draws from Python's global
random stream (timer jitter) at any moment, and Keras draws the seed of every layer built
without one (dropout, for example) from that same stream, right after the training seeded
it. A training there would change with the timing of the worker's network traffic. The
training process runs nothing but trainings, one at a time, as joblib's local processes
do on one machine, so a training gives the same figures on a worker as there.

It is an ordinary child process (a Dask worker is a daemonic ``multiprocessing`` process,
which may not start ``multiprocessing`` children), with the worker's environment, fed
pickled calls through a pipe. It ends when the worker does, also when the worker is
killed.

    run(func, *args)   # in the worker: func(*args), pickled, from the training process

The result comes back pickled and is unpickled where it is used (the notebook's kernel):
the worker may not have imported what unpickling it needs (the kit's custom layers).
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

_lock = threading.Lock()
_process: "TrainingProcess | None" = None


class TrainingProcess:
    def __init__(self):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "helpers.training_process", str(to_child_r), str(from_child_w),
             str(os.getpid())],
            cwd=Path(__file__).resolve().parent.parent, pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._send = os.fdopen(self._to_child, "wb")
        self._receive = os.fdopen(self._from_child, "rb")

    def call(self, func, *args) -> bytes:
        try:
            pickle.dump((func, args), self._send)
            self._send.flush()
            ok, value = pickle.load(self._receive)
        except (OSError, EOFError, pickle.UnpicklingError) as err:
            self.close()
            raise RuntimeError(f"the training process of this Dask worker ended during a training "
                               f"(exit code {self.proc.poll()}; out of memory?); the next training "
                               "starts a new one") from err
        if not ok:
            raise pickle.loads(value)  # noqa: S301  (the kit's own process)
        return value

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        for f in (self._send, self._receive):
            try:
                f.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run(func, *args) -> bytes:
    """``func(*args)`` in this process's training process (started on the first call):
    its result, pickled, or its exception raised here. One training at a time."""
    global _process
    with _lock:
        if _process is None or not _process.alive():
            _process = TrainingProcess()
        process = _process
        try:
            return process.call(func, *args)
        finally:
            if not process.alive():
                _process = None


def _end_with(parent: int) -> None:
    """End this process as soon as ``parent`` is gone."""
    import time  # noqa: PLC0415

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-worker", daemon=True).start()


def main(argv: list[str]) -> int:
    read_fd, write_fd, parent = (int(a) for a in argv)
    _end_with(parent)
    receive, send = os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb")
    while True:
        try:
            func, args = pickle.load(receive)
        except EOFError:  # the worker closed the pipe
            return 0
        try:
            answer = (True, pickle.dumps(func(*args)))
        except Exception as err:  # noqa: BLE001  (handed back to the worker, raised there)
            answer = (False, _pickled_error(err))
        pickle.dump(answer, send)
        send.flush()


def _pickled_error(err: Exception) -> bytes:
    try:
        return pickle.dumps(err)
    except Exception:  # noqa: BLE001  (an exception that cannot travel: its text does)
        return pickle.dumps(RuntimeError(f"{type(err).__name__}: {err}"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
