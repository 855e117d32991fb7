"""nbval's settings for the committed notebooks (``make test`` runs ``pytest notebooks
--nbval-lax``).

A checked cell that holds the comment ``# exact figures only`` prints figures that training
went into (07's figures of every detector). They come out as committed wherever the numeric
libraries run at the kit's instruction-set level (``helpers/cpu_level.py``) on Linux, where
the kernels fix TensorFlow's blocks, on Keras's default backend: on any x86-64 CPU with AVX2,
whichever CPU model made the committed outputs (the notebook's metadata records it, and the
test report's header names it when it is another). Elsewhere (an ARM or Apple machine, a
CPU without AVX2, ``EXACT=0``, JAX, macOS or Windows) such a cell still runs, but its output
is not compared, and the header says so. (Where a kernel on Linux could not fix the blocks,
another TensorFlow build, ``metrics.csv`` says so, and 07's cell would differ.)
"""
import json
import sys
from functools import lru_cache
from pathlib import Path

from helpers import cpu_level, eigen_blocks, reproducibility

EXACT_ONLY = "# exact figures only"
METADATA_KEY = "anomaly_kit"  # as tools/notebooks.py writes it


def _on_linux() -> bool:
    """Where the kernels fix TensorFlow's blocks."""
    return eigen_blocks.platform_supported()


def _exact() -> bool:
    """At the kit's level, on Keras's default backend (the committed outputs' own), on Linux."""
    return (cpu_level.label() == cpu_level.LEVEL and _on_linux()
            and reproducibility.backend() == reproducibility.DEFAULT_BACKEND)


@lru_cache(maxsize=None)
def made_on(path: str) -> str | None:
    """The CPU that made a committed notebook's outputs (None: not recorded)."""
    try:
        return json.loads(Path(path).read_text()).get("metadata", {}).get(METADATA_KEY, {}).get("cpu")
    except (OSError, ValueError):
        return None


def _other_cpu(path) -> str | None:
    """The recorded CPU, when it is not this one."""
    recorded = made_on(str(path)) if path is not None else None
    return recorded if recorded and recorded != cpu_level.signature() else None


def pytest_report_header(config):
    if not _exact():
        return (f"exact figures: {cpu_level.label()}, Keras on {reproducibility.backend()}, {sys.platform}; "
                f"cells marked '{EXACT_ONLY}' run, but their "
                "output is not compared with the committed one")
    others = sorted({cpu for nb in Path(__file__).parent.glob("[0-9][0-9]_*.ipynb")
                     if (cpu := _other_cpu(nb))})
    if others:
        return (f"exact figures: the committed outputs were made on {', '.join(others)}, this is "
                f"{cpu_level.signature()}; cells marked '{EXACT_ONLY}' are compared all the same, "
                "as the kit's settings give the same figures on both (a difference is a finding: "
                "please report it with both CPUs)")
    return None


def pytest_collection_modifyitems(config, items):
    exact = _exact()
    for item in items:
        cell, options = getattr(item, "cell", None), getattr(item, "options", None)
        if cell is None or not isinstance(options, dict) or EXACT_ONLY not in cell.get("source", ""):
            continue
        if not exact:
            options["check"] = False
