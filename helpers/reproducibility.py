"""Seeds, determinism and a fixed thread count, so that the same seed gives the
same metrics on the same machine."""
from __future__ import annotations

import os
import random
import sys
import warnings
from importlib import metadata

import numpy as np

_threads_set: int | None = None


def _import_tensorflow_silently():
    """Import TensorFlow with the process's stderr (file descriptor 2) pointed at
    /dev/null: its C++ start-up lines (such as oneDNN's notice) are written there
    before any log setting applies, and a notebook kernel would show them."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401, PLC0415
        import tensorflow as tf  # noqa: PLC0415
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ and Python log lines out of notebook outputs."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import absl.logging  # noqa: PLC0415  (comes with TensorFlow)

    tf = _import_tensorflow_silently()

    absl.logging.set_verbosity(absl.logging.ERROR)
    tf.get_logger().setLevel("ERROR")  # e.g. tf.function retracing notices
    warnings.filterwarnings("ignore", module="keras")


def seed_everything(seed: int, threads: int = 2) -> None:
    """Seed Python, NumPy and TensorFlow, turn on op determinism and fix the
    number of CPU threads TensorFlow uses.

    TensorFlow fixes its thread pools when it runs its first operation, so the
    thread count can be set once per kernel; calling again with another count
    raises instead of being silently ignored.
    """
    global _threads_set
    quiet_tensorflow()
    import tensorflow as tf  # noqa: PLC0415

    if _threads_set is None:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError as err:  # TensorFlow already started elsewhere
            raise RuntimeError(
                "TensorFlow was already running before seed_everything(); restart the "
                "kernel and run the notebook from the top"
            ) from err
        _threads_set = threads
    elif _threads_set != threads:
        raise RuntimeError(
            f"threads={threads} but this kernel already runs TensorFlow with "
            f"{_threads_set}; restart the kernel to change it"
        )
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def versions(packages=("python", "numpy", "pandas", "scikit-learn", "tensorflow",
                       "keras", "matplotlib", "seaborn", "papermill", "nbval")) -> dict[str, str]:
    """Installed versions of the packages the kit depends on."""
    import platform  # noqa: PLC0415

    out = {}
    for name in packages:
        if name == "python":
            out[name] = platform.python_version()
            continue
        # TensorFlow's CPU-only build is distributed as "tensorflow-cpu".
        for dist in (name, f"{name}-cpu") if name == "tensorflow" else (name,):
            try:
                out[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                out[name] = "not installed"
    return out
