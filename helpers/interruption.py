"""Ending a run cleanly when it is interrupted.

Ctrl-C, SIGTERM or a closed terminal during ``make run-all`` end every process the run
started (the Jupyter kernels and what they started, training workers included), remove
the kernels' connection files (they hold each kernel's key) and the workers' semaphores,
delete the report tables, print one line saying what was interrupted, and exit with
128 + the signal's number. :class:`Run` keeps track of what is running;
:func:`kernel_manager_class` gives papermill kernels whose connection files live in the
run's own folder.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import uuid
from pathlib import Path

REPORT_TABLES = ("metrics.csv", "timings.csv", "tuning.csv", "index.html")
INTERRUPT_SECONDS = 60  # the most an interrupted run waits for its cluster jobs to stop


def kernel_manager_class(connection_dir: Path):
    """A jupyter_client kernel manager that writes its connection file (which holds the
    kernel's key) into ``connection_dir``, which the run removes when it ends, however it
    ends, and that does not send an idle kernel SIGINT on its way to shutting it down
    (ipykernel answers that with "KeyboardInterrupt caught in kernel.")."""
    from jupyter_client import AsyncKernelManager  # noqa: PLC0415

    class KitKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if not self.connection_file:
                self.connection_file = str(connection_dir / f"kernel-{uuid.uuid4()}.json")
            self._stderr = None

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # The kernel's own stderr (not its cells': those reach the notebook) goes to
            # a file, passed on to the terminal when the kernel ends (pass_on_kernel_stderr).
            self._stderr = open(Path(self.connection_file).with_suffix(".stderr"), "w+b")  # noqa: SIM115
            kw.setdefault("stderr", self._stderr)
            await super()._async_launch_kernel(kernel_cmd, **kw)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if self._stderr is not None and not restart:
                pass_on_kernel_stderr(self._stderr)
                self._stderr = None

        # a kernel that died is cleaned up through this name, not through a shutdown
        cleanup_resources = _async_cleanup_resources

        async def _async_interrupt_kernel(self):
            if self.shutting_down:  # papermill shuts a kernel down once its cells are done
                return
            await super()._async_interrupt_kernel()

    return KitKernelManager


# What a kernel's libzmq writes when it aborts on its way out (a known race in its shutdown,
# after the notebook has been saved): dropped, with nothing else.
_SHUTDOWN_NOISE = (b"Assertion failed: pfd.revents & POLLIN",)


def pass_on_kernel_stderr(file) -> None:
    """Write what a finished kernel wrote to its stderr ``file`` to the terminal's stderr,
    less libzmq's shutdown noise; close and delete the file."""
    try:
        file.flush()
        file.seek(0)
        kept = [line for line in file.read().splitlines(keepends=True)
                if not line.startswith(_SHUTDOWN_NOISE)]
    finally:
        file.close()
        Path(file.name).unlink(missing_ok=True)
    if kept:
        from . import progress  # noqa: PLC0415

        progress.interject(b"".join(kept).decode(errors="replace"), sys.stderr)


def stop_descendants() -> list[int]:
    """End every process this one started, and theirs: freeze them all first (so that
    none starts another or leaves the tree), then kill them. A Jupyter kernel runs in a
    process group of its own, with the processes it starts (training workers, their
    resource tracker): the whole group is frozen and killed, so that a worker whose
    parent died is not missed. Returns the process ids."""
    import psutil  # noqa: PLC0415

    me = psutil.Process()
    own_group = os.getpgid(0)
    seen: dict[int, psutil.Process] = {}
    groups: set[int] = set()
    for _ in range(10):
        found = {p.pid: p for p in me.children(recursive=True)}
        for p in list(seen.values()):
            try:
                found.update((c.pid, c) for c in p.children(recursive=True))
            except psutil.Error:
                pass
        if groups:
            for p in psutil.process_iter():
                try:
                    if os.getpgid(p.pid) in groups:
                        found[p.pid] = p
                except OSError:
                    pass
        new = {pid: p for pid, p in found.items() if pid not in seen and pid != me.pid}
        if not new:
            break
        for pid, p in new.items():
            try:
                group = os.getpgid(pid)
                if group not in (own_group, 0, 1) and group not in groups:
                    groups.add(group)
                    os.killpg(group, signal.SIGSTOP)
                p.suspend()
            except (OSError, psutil.Error):
                pass
        seen.update(new)
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
    for p in seen.values():
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(list(seen.values()), timeout=5)
    return sorted(seen)


def remove_worker_files(pids) -> None:
    """The semaphores and memory-mapping folders that joblib's loky workers (and the
    kernel that started them) made, which their killed resource tracker would have
    removed: their names hold the id of the process that made them."""
    folders = {Path("/dev/shm"), Path(tempfile.gettempdir())}
    for folder in folders:
        if not folder.is_dir():
            continue
        for pid in pids:
            for sem in folder.glob(f"sem.loky-{pid}-*"):
                sem.unlink(missing_ok=True)
            for mm in folder.glob(f"joblib_memmapping_folder_{pid}_*"):
                shutil.rmtree(mm, ignore_errors=True)


class Run:
    """What a run has started, so that an interruption can end all of it.

    As a context manager it installs the handlers of SIGINT, SIGTERM and SIGHUP (when it
    runs in the main thread) and, on the way out, puts the old ones back and removes its
    kernels' connection folder."""

    SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self, report: Path):
        self.report = report
        self.todo: list[str] = []          # datasets not finished yet
        self.connection_dir = Path(tempfile.mkdtemp(prefix="anomaly-kit-kernels-"))
        self.running: dict[str, str] = {}  # dataset -> notebook now executing
        self.partial_line = False          # a notebook's line waits for its time
        self.started_any = False
        self.lock = threading.Lock()
        self.on_interrupt = None           # called first when interrupted (cancel cluster jobs)
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "Run":
        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                num = getattr(signal, name, None)
                if num is not None:
                    self._previous[num] = signal.signal(num, self._interrupted)
        return self

    def __exit__(self, *exc) -> None:
        for num, handler in self._previous.items():
            signal.signal(num, handler)
        shutil.rmtree(self.connection_dir, ignore_errors=True)

    def started(self, dataset: str, notebook: str) -> None:
        with self.lock:
            self.running[dataset] = notebook
            self.started_any = True

    def finished(self, dataset: str) -> None:
        with self.lock:
            self.running.pop(dataset, None)
            if dataset in self.todo:
                self.todo.remove(dataset)

    def message(self, signum: int) -> str:
        name = signal.Signals(signum).name
        doing = ", ".join(f"{ds} {nb}" for ds, nb in list(self.running.items()))
        if doing:
            where = f"while running {doing}"
        elif not self.started_any:
            where = "before any notebook ran"
        else:
            where = "between notebooks" if self.todo else "while writing the report"
        left = [ds for ds in self.todo if ds not in self.running]
        rest = f" ({', '.join(left)} not run yet)" if left else ""
        return (f"Interrupted ({name}) {where}{rest}; everything it started is stopped and no "
                "report was written. To resume, rerun the same make command: each unfinished "
                "dataset starts again from its first notebook.")

    def _interrupted(self, signum, frame) -> None:  # noqa: ARG002
        """The signal handler: stop everything, clean up, say so in one line, exit.
        It ends the process with os._exit: unwinding papermill's event loops and threads
        would only print tracebacks and let them write more."""
        for num in self._previous:
            signal.signal(num, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        code = 128 + signum
        try:
            if self.on_interrupt is not None:  # in a thread: this one may hold a lock it needs
                helper = threading.Thread(target=self.on_interrupt, daemon=True)
                helper.start()
                helper.join(timeout=INTERRUPT_SECONDS)
            pids = stop_descendants()
            shutil.rmtree(self.connection_dir, ignore_errors=True)
            remove_worker_files(pids)
            for table in REPORT_TABLES:
                for f in (self.report / table, self.report / f".{table}.tmp"):
                    f.unlink(missing_ok=True)
            line = self.message(signum)
        except BaseException as err:  # noqa: BLE001  (still exit, and say why)
            line = f"Interrupted ({signal.Signals(signum).name}); cleaning up failed: {err!r}"
        try:
            from . import progress  # noqa: PLC0415

            progress.stop_all()  # a live notebook line stops redrawing first
            if self.partial_line:
                _write(sys.stdout, "\n")
            _write(sys.stderr, line + "\n")
        finally:  # a closed pipe or terminal must not keep the run from ending
            os._exit(code)


def _write(stream, text: str) -> None:
    """Write straight to the stream's file (a signal handler may run while print() holds
    the stream's lock); a stream that is gone (a closed pipe or terminal) is skipped."""
    try:
        os.write(stream.fileno(), text.encode())
    except (AttributeError, OSError, ValueError):
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):
            pass
