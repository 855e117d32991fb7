"""Helpers for the autoencoder anomaly-detection course kit.

The notebooks in ``notebooks/`` tell the story; the logic lives here, one job
per module:

- ``params``: checks notebook parameters and builds the run configuration
- ``paths``: where the kit lives and where a run writes
- ``reproducibility``: Keras's backend (TensorFlow or JAX), seeds, determinism, thread count
- ``datasets``: the dataset registry (one entry per dataset)
- ``preprocessing``: scalers fitted on training data only
- ``architectures``: the autoencoder architecture registry
- ``training``: compiling, fitting with early stopping, reconstruction errors
- ``thresholds``: ways to turn anomaly scores into a yes/no decision
- ``metrics``: honest evaluation of the anomaly class
- ``baselines``: classical detectors trained in the same run
- ``pitfalls``: the seed documents' mistakes, reproduced next to honest figures
- ``runstate``: passing results from one notebook to the next
- ``plots``: the figures the notebooks show
- ``summary``: the instructor's metrics table
- ``runner``: executes every notebook for every dataset with papermill

Importing ``helpers`` is cheap: Keras and its backend are imported only by the
modules that need them, and nothing is downloaded at import time.
"""
import os as _os

# TensorFlow reads these when it is first imported; setting them here keeps its
# C++ start-up chatter out of the notebooks whichever kernel a student uses. Keras's
# backend is TensorFlow unless KERAS_BACKEND says jax (make run-all BACKEND=jax).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# jsonschema, which nbformat loads (and with it papermill, nbconvert, nbgrader and every
# process of a run that reads a notebook), imports rfc3987_syntax when it is installed (as
# Jupyter's packages install it), and that module builds 38 parsers as it loads: 1.1 s
# of CPU in each such process. The kit checks no IRI's syntax, so jsonschema is left to
# do without it, as without any optional format checker. ``None`` in sys.modules makes
# its import fail as if the module were absent.
import sys as _sys

_sys.modules.setdefault("rfc3987_syntax", None)

__version__ = "0.1.0"
