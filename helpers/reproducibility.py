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
_blocks_checked = False


BACKENDS = ("tensorflow", "jax")
DEFAULT_BACKEND = "tensorflow"


def backend() -> str:
    """The Keras backend this process uses: ``KERAS_BACKEND`` (``helpers`` sets
    TensorFlow as the default before Keras loads)."""
    name = os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND)
    if name not in BACKENDS:
        raise ValueError(f"KERAS_BACKEND={name!r} is not a backend the kit runs on; "
                         f"valid: {', '.join(BACKENDS)}")
    return name


def _import_keras_silently():
    """Import Keras (and TensorFlow, when it is the backend) with the process's stderr
    (file descriptor 2) pointed at /dev/null: TensorFlow's C++ start-up lines (such as
    oneDNN's notice) are written there before any log setting applies, and a notebook
    kernel would show them."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    if backend() == "jax" and "tensorflow" in sys.modules:
        raise RuntimeError("TensorFlow is already loaded in this process, but KERAS_BACKEND=jax; "
                           "start a fresh process with KERAS_BACKEND set before anything imports "
                           "TensorFlow")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    hide_jax = backend() == "tensorflow" and "jax" not in sys.modules
    try:
        os.dup2(devnull, 2)
        if hide_jax:
            # TensorFlow's TFLite converter imports JAX whenever it is installed (as it is
            # once BACKEND=jax ran, and in the tests): 0.7 CPU-s per kernel for a module the
            # kit never uses there. ``None`` in sys.modules makes that import fail, as if
            # JAX were absent (TFLite's JAX converter then stays off in this process); it is
            # taken out again below, so JAX stays importable.
            sys.modules["jax"] = None
        import keras  # noqa: PLC0415

        if backend() == "tensorflow":
            import tensorflow  # noqa: F401, PLC0415
    finally:
        if hide_jax and sys.modules.get("jax", False) is None:
            del sys.modules["jax"]
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras


def keras():
    """Keras, imported quietly: its backend's C++ and Python log lines stay out of
    notebook outputs. The models' code uses only ``keras`` and ``keras.ops``, so it runs
    on either backend."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    module = _import_keras_silently()
    if backend() == "jax" and "tensorflow" not in sys.modules:
        # Keras imports TensorFlow whenever it is installed, to seed it and to save models,
        # even on another backend: 4 s per process and a second thread pool. The kit uses
        # no TensorFlow object on JAX, so Keras is told it is absent (on every call: a
        # process may have imported Keras itself first).
        from keras.src.utils import module_utils  # noqa: PLC0415

        module_utils.tensorflow._available = False
        _share_compiled_steps()
        from . import jax_init  # noqa: PLC0415

        jax_init.install()  # new variables' values: a few compiled programs, not one per shape
    if backend() == "tensorflow":
        import absl.logging  # noqa: PLC0415  (comes with TensorFlow)
        import tensorflow as tf  # noqa: PLC0415

        absl.logging.set_verbosity(absl.logging.ERROR)
        tf.get_logger().setLevel("ERROR")  # e.g. tf.function retracing notices
        _pin_product_blocks()
    warnings.filterwarnings("ignore", module="keras")
    return module


def _pin_product_blocks() -> None:
    """With the fixed instruction-set level in force, have TensorFlow cut its matrix
    products into the same blocks on every CPU (``helpers.eigen_blocks``), once per
    process, before its first product."""
    global _blocks_checked
    if _blocks_checked:
        return
    _blocks_checked = True
    from . import cpu_level, eigen_blocks  # noqa: PLC0415

    if eigen_blocks.status is None and cpu_level.in_force()["exact"] != "off":
        eigen_blocks.pin()


def _share_compiled_steps() -> None:
    """On JAX, keep every compiled training and prediction step in ``build/jax-cache/``,
    in a folder per CPU (JAX's persistent compilation cache), so that a step XLA compiled
    once is read back, not compiled again: by the next notebook that scores the same model,
    by the same model trained with another seed, by the next run. A short run of the kit
    compiles far more than it computes. The cache's key holds the program, JAX's version
    and ``XLA_FLAGS`` (the instruction-set level), and a step read back is the machine code
    this CPU compiled, so no figure changes. ``ANOMALY_KIT_JAX_CACHE=0`` turns it off."""
    if os.environ.get("ANOMALY_KIT_JAX_CACHE", "1") == "0":
        return
    import jax  # noqa: PLC0415

    from . import paths  # noqa: PLC0415

    if jax.config.jax_compilation_cache_dir is None:
        folder = paths.build_dir() / "jax-cache" / _this_cpu()
        jax.config.update("jax_compilation_cache_dir", str(folder))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        _write_cache_entries_whole()


def _this_cpu() -> str:
    """A name for this CPU model and what it offers: XLA compiles for the CPU it runs on,
    and JAX's cache key does not say which, so a build folder shared by several machines
    (a course folder on a network drive) keeps one cache per CPU."""
    import hashlib  # noqa: PLC0415

    from . import cpu_level  # noqa: PLC0415

    text = " ".join([cpu_level.signature(), cpu_level.cpu_model(), *sorted(cpu_level.cpu_flags())])
    return "cpu-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _write_cache_entries_whole() -> None:
    """JAX writes a cache entry in place. Another kernel or training process could read it
    half-written, and a process killed while writing (a stopped run) would leave a
    truncated entry that is never replaced: JAX would warn and compile again every time.
    Each entry is written to a file of its own and renamed into place instead, which a
    reader sees whole or not at all."""
    from jax._src import lru_cache  # noqa: PLC0415

    if getattr(lru_cache.LRUCache.put, "whole_entries", False):
        return
    jax_put = lru_cache.LRUCache.put

    def put(self, key: str, value: bytes) -> None:
        if self.eviction_enabled or not key:  # JAX's own put, with its lock
            return jax_put(self, key, value)
        name = f"{key}{lru_cache._CACHE_SUFFIX}"
        if (self.path / name).exists():
            return None
        part = self.path / f".{name}.{os.getpid()}.part"
        try:
            part.write_bytes(value)
            os.replace(str(part), str(self.path / name))
        finally:
            if part.exists():
                part.unlink()
        return None

    put.whole_entries = True
    lru_cache.LRUCache.put = put


def _fix_threads(threads: int) -> None:
    """Fix the backend's CPU thread count, once per process. TensorFlow takes the count
    itself. JAX (XLA) sizes its thread pool by the CPUs the process may run on, so the
    process is held to ``threads`` of them when it may run on more: a block of CPUs that
    depends on the process id, so that kernels side by side (``JOBS=2``) mostly get
    different ones. Where the system cannot hold a process to some CPUs (macOS), JAX
    uses them all."""
    if backend() == "tensorflow":
        import tensorflow as tf  # noqa: PLC0415

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError as err:  # TensorFlow already started elsewhere
            raise RuntimeError(
                "TensorFlow was already running before seed_everything(); restart the "
                "kernel and run the notebook from the top"
            ) from err
        return
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if threads < len(allowed):
        first = (os.getpid() * threads) % len(allowed)
        os.sched_setaffinity(0, [allowed[(first + i) % len(allowed)] for i in range(threads)])


def seed_everything(seed: int, threads: int = 2) -> None:
    """Seed Python, NumPy and Keras's backend, and fix the number of CPU threads the
    backend uses; under TensorFlow, also turn on op determinism (JAX on a CPU is
    deterministic as it is).

    The backend fixes its thread pools when it runs its first operation, so the
    thread count can be set once per kernel; calling again with another count
    raises instead of being silently ignored.
    """
    global _threads_set
    if _threads_set is None:
        keras()
        _fix_threads(threads)  # before the backend's first operation starts its thread pool
        _threads_set = threads
    elif _threads_set != threads:
        raise RuntimeError(
            f"threads={threads} but this kernel already runs {backend()} with "
            f"{_threads_set}; restart the kernel to change it"
        )
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras().utils.set_random_seed(seed)
    if backend() == "tensorflow":
        import tensorflow as tf  # noqa: PLC0415

        tf.config.experimental.enable_op_determinism()


def versions(packages=("python", "numpy", "pandas", "scikit-learn", "tensorflow",
                       "keras", "matplotlib", "seaborn", "papermill", "nbval")) -> dict[str, str]:
    """Installed versions of the packages the kit depends on (read from the installed
    packages' metadata, so that nothing is imported), JAX's too when it is Keras's
    backend."""
    import platform  # noqa: PLC0415

    if backend() == "jax":
        packages = (*packages, "jax", "jaxlib")
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
