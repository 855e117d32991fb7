"""Register the kit's Jupyter kernel, ``anomaly-kit``, inside the virtual environment.

Like ``python -m ipykernel install --sys-prefix``, plus

- the environment variables that keep TensorFlow's start-up lines out of notebooks;
- a kernel log level of ERROR, so that ipykernel's notice about local TCP connections
  does not scroll past every headless run;
- no IPython history: without it every cell that ``make run-all`` and ``make test``
  execute would go into ``~/.ipython/profile_default/history.sqlite``;
- the kernel starts through ``helpers.cpu_level``, which caps the numeric libraries at
  the kit's instruction-set level before they load (unless ``ANOMALY_KIT_EXACT=0``), so
  that a notebook prints the same figures on any x86-64 CPU with that level.

The kernel spec is written in a temporary folder of its own, removed afterwards
(ipykernel's own ``install`` leaves an empty ``/tmp/tmp*_kernels/`` behind).

The module is also an IPython extension, which ``helpers.runner`` loads into the kernels
it starts: it drops the one line ipykernel's asyncio loop prints when a kernel shuts down
while a message of its own is pending ("Task was destroyed but it is pending!" for a
``Kernel.*`` coroutine), and the "Event loop is closed" traceback ipykernel prints when
C code writes to stdout or stderr after the kernel's IO loop has closed (the output itself
still reaches the terminal), and the traceback tornado logs when ipykernel answers a
shutdown request on a socket that is already closed. Everything else the kernel logs, such a line for any other
task included, still shows.
"""
from __future__ import annotations

import json
import logging
import platform
import sys
import tempfile
from pathlib import Path

NAME = "anomaly-kit"
DISPLAY = "Python 3 (anomaly kit)"
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
# python .../helpers/cpu_level.py -- <the kernel's command>: by its file, as it needs only the
# standard library, so the kernel starts even where the helpers package is not importable.
LAUNCHER = [str(Path(__file__).resolve().with_name("cpu_level.py")), "--"]
ARGUMENTS = ["--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"]


def install(prefix: str = sys.prefix) -> Path:
    from ipykernel.kernelspec import write_kernel_spec  # noqa: PLC0415
    from jupyter_client.kernelspec import KernelSpecManager  # noqa: PLC0415

    # as ipykernel's install does: no frozen modules, for the debugger
    python_arguments = ["-Xfrozen_modules=off"] if platform.python_implementation() == "CPython" else None
    with tempfile.TemporaryDirectory(suffix="_kernels") as tmp:
        staged = write_kernel_spec(Path(tmp) / NAME, overrides={"display_name": DISPLAY, "env": ENV},
                                   extra_arguments=list(ARGUMENTS), python_arguments=python_arguments)
        folder = Path(KernelSpecManager().install_kernel_spec(staged, kernel_name=NAME, prefix=prefix))
    spec_file = folder / "kernel.json"
    spec = json.loads(spec_file.read_text())
    if LAUNCHER[0] not in spec["argv"]:
        spec["argv"] = [spec["argv"][0], *LAUNCHER, *spec["argv"]]
    for arg in ARGUMENTS:  # already there; kept for a spec written by an older ipykernel
        if arg not in spec["argv"]:
            spec["argv"].append(arg)
    spec_file.write_text(json.dumps(spec, indent=1))
    return folder


class _QuietShutdown(logging.Filter):
    """Drops asyncio's "Task was destroyed but it is pending!" for ipykernel's own
    ``Kernel`` coroutines (its control-message dispatch, cut short by the shutdown it
    handles); keeps every other record."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not (msg.startswith("Task was destroyed but it is pending!")
                    and "coro=<Kernel." in msg and "ipykernel" in msg)


class _QuietSocketShutdown(logging.Filter):
    """Drops tornado's "Uncaught exception in ZMQStream callback" when it is the ZMQ error
    "Socket operation on non-socket": ipykernel answering a shutdown request on a socket
    the shutdown has already closed. Keeps every other record."""

    def filter(self, record: logging.LogRecord) -> bool:
        err = record.exc_info[1] if record.exc_info else None
        return not (record.getMessage().startswith("Uncaught exception in ZMQStream callback")
                    and type(err).__name__ == "ZMQError" and "non-socket" in str(err))


def _flush_unless_closed(schedule_flush):
    """ipykernel's ``OutStream._schedule_flush``, made quiet when the kernel's IO loop is
    already closed: output that C code writes while the kernel shuts down then still
    reaches the terminal, without the "Event loop is closed" traceback ipykernel would
    print for it (there is no notebook left to send it to)."""
    def schedule(self):
        try:
            schedule_flush(self)
        except RuntimeError as err:
            if str(err) != "Event loop is closed":
                raise
    schedule.quiet = True
    return schedule


def load_ipython_extension(ipython) -> None:  # noqa: ARG001  (IPython's extension hook)
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _QuietShutdown) for f in logger.filters):
        logger.addFilter(_QuietShutdown())
    tornado = logging.getLogger("tornado.general")
    if not any(isinstance(f, _QuietSocketShutdown) for f in tornado.filters):
        tornado.addFilter(_QuietSocketShutdown())
    from ipykernel.iostream import OutStream  # noqa: PLC0415

    if not getattr(OutStream._schedule_flush, "quiet", False):
        OutStream._schedule_flush = _flush_unless_closed(OutStream._schedule_flush)


if __name__ == "__main__":
    print(f"installed the Jupyter kernel '{NAME}'")
    install()
