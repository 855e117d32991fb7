"""Register the kit's Jupyter kernel, ``anomaly-kit``, inside the virtual environment.

Like ``python -m ipykernel install --sys-prefix``, plus the environment variables
that keep TensorFlow's start-up lines out of notebooks, and a kernel log level of
ERROR so that ipykernel's notice about local TCP connections does not scroll past
every headless run.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

NAME = "anomaly-kit"
DISPLAY = "Python 3 (anomaly kit)"
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def install(prefix: str = sys.prefix) -> Path:
    from ipykernel.kernelspec import install as ipk_install  # noqa: PLC0415

    folder = Path(ipk_install(kernel_name=NAME, display_name=DISPLAY, prefix=prefix, env=ENV))
    spec_file = folder / "kernel.json"
    spec = json.loads(spec_file.read_text())
    if "--IPKernelApp.log_level=ERROR" not in spec["argv"]:
        spec["argv"].append("--IPKernelApp.log_level=ERROR")
    spec_file.write_text(json.dumps(spec, indent=1))
    return folder


if __name__ == "__main__":
    print(f"installed the Jupyter kernel '{NAME}'")
    install()
