"""One instruction-set level for the numeric libraries, so that the same seed gives the
same figures on any x86-64 CPU that has it.

TensorFlow's matrix products (oneDNN), NumPy's loops, OpenBLAS and glibc's maths
functions each pick their code for the CPU they find when they start. A laptop with
AVX-512 and one without it then round a sum differently in the 7th digit, and training
turns that into another model. The kit caps every one of them at the same level before
they start, through the variables they read:

=====================  ============================  =====================================
library                variable                      at the kit's level (AVX2)
=====================  ============================  =====================================
oneDNN (TensorFlow)    ``ONEDNN_MAX_CPU_ISA``        ``AVX2``
TensorFlow             ``TF_ENABLE_ONEDNN_OPTS``     ``0`` (see below)
XLA (JAX)              ``XLA_FLAGS``                 ``--xla_cpu_max_isa=AVX2``
NumPy                  ``NPY_DISABLE_CPU_FEATURES``  its AVX-512 code paths off
OpenBLAS               ``OPENBLAS_CORETYPE``         ``Haswell`` (a value already set is kept)
glibc (libm)           ``GLIBC_TUNABLES``            ``glibc.cpu.hwcaps`` without AVX-512
=====================  ============================  =====================================

TensorFlow itself picks its code by the CPU, too: on a CPU with AVX512_VNNI, AVX_VNNI or
AMX (Intel since Cascade Lake, AMD since Zen 4) it computes its products with oneDNN's
own operations, elsewhere with Eigen's. ``TF_ENABLE_ONEDNN_OPTS=0`` makes it Eigen's on
every CPU, and Eigen's blocks, which it sizes by the CPU's caches, are fixed as well
(``helpers.eigen_blocks``, when Keras loads).

AVX2 (with FMA: the x86-64-v3 level) is on every Intel Core CPU since Haswell (2013) and
every AMD Zen (2017), though some later low-end Celeron, Pentium and Atom CPUs lack it. It
costs nothing on a CPU that has no more. A CPU without it, ARM and Apple machines get
none of these settings (forcing OpenBLAS's Haswell code on a CPU without AVX2 would
crash): they run their own code and print close but not identical figures.

The variables must be set before a library loads (glibc's before the process starts),
so the kit starts its processes through this module: ``python -m helpers.cpu_level --
COMMAND ...`` sets them and replaces itself with the command. ``make`` starts the tests,
the runner and JupyterLab this way, and the ``anomaly-kit`` Jupyter kernel starts so
too. ``ANOMALY_KIT_EXACT=0`` (``make ... EXACT=0``) leaves the machine's own, faster
code in place; figures made that way are marked.

A process that runs Keras on JAX also gets :data:`XLA_COMPILE_FLAGS` in ``XLA_FLAGS``,
with either setting of ``ANOMALY_KIT_EXACT``: they make XLA compile faster and change no
result (see there).

This module imports nothing heavy: it runs before NumPy may be imported.
"""
from __future__ import annotations

import json
import os
import sys

LEVEL = "AVX2"  # the kit's level
SWITCH = "ANOMALY_KIT_EXACT"  # "1" (the default): cap at LEVEL; "0": the CPU's own code

_AVX512 = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL")
_ABOVE_AVX = ("AVX2", "FMA", "BMI1", "BMI2", "LZCNT", "MOVBE", "F16C")
# What each library may use at a level, and the CPU flags the level needs. "AVX" (Sandy
# Bridge, 2011: the least TensorFlow's build runs on) is there for the test that the
# setting binds.
NEEDS = {"AVX2": {"avx", "avx2", "fma"}, "AVX": {"avx"}}
LEVELS = {
    "AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2",
             "TF_ENABLE_ONEDNN_OPTS": "0",
             "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
             "OPENBLAS_CORETYPE": "Haswell",
             "XLA": "AVX2",
             "hwcaps": _AVX512},
    "AVX": {"ONEDNN_MAX_CPU_ISA": "AVX",
            "TF_ENABLE_ONEDNN_OPTS": "0",
            "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
            "OPENBLAS_CORETYPE": "Sandybridge",
            "XLA": "AVX",
            "hwcaps": _ABOVE_AVX + _AVX512},
}
VARIABLES = ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "NPY_DISABLE_CPU_FEATURES",
             "OPENBLAS_CORETYPE", "GLIBC_TUNABLES", "XLA_FLAGS")
# XLA's compiler settings that make it compile faster and change no result. A run of the
# kit on JAX compiles hundreds of small programs (every training, evaluation and prediction
# step, every weight initialiser, in every notebook's process), and LLVM's most expensive
# optimisation passes took 15 to 35% of that time without making a step any faster
# (2-core AMD EPYC). The weights a training ends with are the same to the last bit with and
# without them (a test checks); a value the environment gives one of them is kept.
XLA_COMPILE_FLAGS = ("--xla_llvm_disable_expensive_passes=true",)
_HWCAPS = "glibc.cpu.hwcaps="
_XLA_ISA = "--xla_cpu_max_isa="
_REPLACED = "ANOMALY_KIT_REPLACED"


def exact_requested(environ=os.environ) -> bool:
    """Whether ``ANOMALY_KIT_EXACT`` asks for the fixed level (unset or empty means yes)."""
    value = environ.get(SWITCH, "1").strip() or "1"
    if value not in ("0", "1"):
        raise ValueError(f"{SWITCH}={value!r} (make's EXACT=): use 1 for identical figures on "
                         f"any x86-64 CPU with {LEVEL}, or 0 for this CPU's own, faster code")
    return value == "1"


def _with_hwcaps(tunables: str, masked: tuple[str, ...]) -> str:
    """``GLIBC_TUNABLES`` with ``masked`` taken out of ``glibc.cpu.hwcaps``; other
    tunables, and hwcaps already listed, are kept."""
    parts = [p for p in tunables.split(":") if p]
    listed = next((p for p in parts if p.startswith(_HWCAPS)), None)
    have = listed[len(_HWCAPS):].split(",") if listed else []
    hwcaps = _HWCAPS + ",".join(have + [f"-{m}" for m in masked if f"-{m}" not in have])
    parts = [hwcaps if p == listed else p for p in parts] if listed else parts + [hwcaps]
    return ":".join(parts)


def _with_xla_isa(flags: str, isa: str) -> str:
    """``XLA_FLAGS`` with XLA's CPU code capped at ``isa`` (a cap already there is replaced:
    the figures are labelled with the kit's level); other flags stay."""
    return " ".join([*(f for f in flags.split() if not f.startswith(_XLA_ISA)), _XLA_ISA + isa])


def has(level: str, flags: set[str] | None = None) -> bool:
    """Whether this machine (``flags``: its CPU's, by default read here) is an x86-64
    CPU with everything ``level`` needs."""
    import platform  # noqa: PLC0415

    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    return NEEDS[level] <= (cpu_flags() if flags is None else flags)


def settings(level: str = LEVEL, environ=os.environ, flags: set[str] | None = None) -> dict[str, str]:
    """The variables that cap every library at ``level``, merged with ``environ``:
    an ``OPENBLAS_CORETYPE`` the environment sets is kept (some machines need theirs,
    as older OpenBLAS builds go wrong on their CPUs), and other glibc tunables stay.
    Nothing, on a machine without the level (``has``)."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}: use one of {', '.join(LEVELS)}")
    if not has(level, flags):
        return {}
    spec = LEVELS[level]
    out = {k: spec[k] for k in ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "NPY_DISABLE_CPU_FEATURES")}
    out["OPENBLAS_CORETYPE"] = environ.get("OPENBLAS_CORETYPE") or spec["OPENBLAS_CORETYPE"]
    out["GLIBC_TUNABLES"] = _with_hwcaps(environ.get("GLIBC_TUNABLES", ""), spec["hwcaps"])
    out["XLA_FLAGS"] = _with_xla_isa(environ.get("XLA_FLAGS", ""), spec["XLA"])
    return out


def environment(environ=os.environ) -> dict[str, str]:
    """``environ`` as the kit starts a process with it: capped at :data:`LEVEL` unless
    ``ANOMALY_KIT_EXACT=0``, and with the switch itself set, so that every process the
    command starts makes the same choice. The values the kit replaced are kept in
    ``ANOMALY_KIT_REPLACED``, so that a process started with ``ANOMALY_KIT_EXACT=0``
    below one that had the level gets the machine's own settings back."""
    env = dict(environ)
    exact = exact_requested(env)
    env[SWITCH] = "1" if exact else "0"
    replaced = env.get(_REPLACED)
    if exact and replaced is None:
        capped = settings(LEVEL, env)
        env[_REPLACED] = json.dumps({k: env.get(k) for k in capped})
        env.update(capped)
    elif not exact and replaced is not None:
        for key, value in json.loads(replaced).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        del env[_REPLACED]
    if env.get("KERAS_BACKEND") == "jax":
        env["XLA_FLAGS"] = _with_compile_flags(env.get("XLA_FLAGS", ""))
    return env


def _with_compile_flags(flags: str) -> str:
    """``XLA_FLAGS`` with :data:`XLA_COMPILE_FLAGS` added, unless it sets them already."""
    given = {f.split("=", 1)[0] for f in flags.split()}
    return " ".join([*flags.split(), *(f for f in XLA_COMPILE_FLAGS if f.split("=", 1)[0] not in given)])


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux lists them (empty where there is no
    ``/proc/cpuinfo``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def signature() -> str:
    """Which CPU this is, finer than its model name: vendor, family and model as Linux
    lists them (``AuthenticAMD family 25 model 17``; ``lscpu`` may name two such CPUs
    alike). Elsewhere, the platform's machine and processor."""
    fields = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("vendor_id", "cpu family", "model") and key not in fields:
                    fields[key] = value.strip()
                if not line.strip() and fields:
                    break
    except OSError:
        pass
    if len(fields) == 3:
        return f"{fields['vendor_id']} family {fields['cpu family']} model {fields['model']}"
    import platform  # noqa: PLC0415

    return " ".join(x for x in (platform.machine(), platform.processor()) if x)


def cpu_model() -> str:
    """The CPU's model name (``lscpu``'s), or the platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform  # noqa: PLC0415

    return platform.processor() or platform.machine()


def start_environment() -> dict[str, str]:
    """The environment this process started with (Linux keeps it in
    ``/proc/self/environ``): what the libraries saw when they loaded, whatever was set
    since. Elsewhere, the current one."""
    try:
        with open("/proc/self/environ", "rb") as f:
            items = f.read().split(b"\0")
    except OSError:
        return dict(os.environ)
    pairs = (item.decode(errors="replace").partition("=") for item in items if b"=" in item)
    return {k: v for k, _, v in pairs}


def in_force(environ=None) -> dict:
    """What a process runs with (by default this one, as it started): ``exact`` (the
    level's name, or ``"off"`` when the libraries use the CPU's own code), the
    variables, the CPU, and whether the CPU has the level, which identical figures
    need. ``started_by_kit`` says whether the kit's launcher started it."""
    import platform  # noqa: PLC0415

    environ = start_environment() if environ is None else environ
    spec = LEVELS[LEVEL]
    capped = all(environ.get(k) == spec[k]
                 for k in ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "NPY_DISABLE_CPU_FEATURES"))
    blas = environ.get("OPENBLAS_CORETYPE", "")
    return {"exact": LEVEL if capped else "off", "cpu": cpu_model(), "machine": platform.machine(),
            "has_level": has(LEVEL), "started_by_kit": SWITCH in environ,
            "blas": blas if capped and blas != spec["OPENBLAS_CORETYPE"] else "",
            "variables": {k: environ.get(k, "") for k in VARIABLES}}


def label(environ=None) -> str:
    """What ``metrics.csv`` records for this process's figures: the level, ``"off"``
    (``EXACT=0``), or ``"AVX2 (not this CPU)"`` where the CPU lacks the level and its
    figures cannot match the reference; ``"AVX2 (TensorFlow's blocks not fixed)"`` where
    this process runs TensorFlow but its block sizes could not be fixed
    (``helpers.eigen_blocks``: not Linux, or another TensorFlow build)."""
    state = in_force(environ)
    blocks = sys.modules.get(f"{__package__}.eigen_blocks")
    if state["exact"] != "off" and blocks is not None and blocks.status not in (None, "pinned"):
        return f"{state['exact']} (TensorFlow's blocks not fixed)"
    if state["exact"] == "off" and state["started_by_kit"] and not state["has_level"] \
            and exact_requested(start_environment() if environ is None else environ):
        return f"{LEVEL} (not this CPU)"
    if state["exact"] != "off" and state["blas"]:
        return f"{state['exact']} (OpenBLAS {state['blas']})"
    return state["exact"]


def describe(environ=None) -> str:
    """One paragraph for notebook 01: the level in force and what it promises here."""
    environ = start_environment() if environ is None else environ
    state = in_force(environ)
    v = state["variables"]
    where = f"CPU: {state['cpu']} ({state['machine']})"
    if not state["started_by_kit"]:
        return (f"Exact figures: OFF. This kernel was not started by the kit, so the numeric "
                f"libraries use this CPU's own code and the figures can differ from the reference. "
                f"Choose the kernel \"Python 3 (anomaly kit)\" (make lab does), or run make run-all. "
                f"{where}.")
    if not state["has_level"] and exact_requested(environ):
        return (f"Exact figures: level {LEVEL} asked for, but this CPU does not have it, so the "
                f"libraries use their own code and the figures will be close to, not identical "
                f"with, the reference. {where}.")
    if state["exact"] == "off":
        return (f"Exact figures: OFF ({SWITCH}=0, make's EXACT=0). The numeric libraries use "
                f"this CPU's own code: faster where it has more than {LEVEL}, but the figures can "
                f"differ from the reference and from another machine's. {where}.")
    from . import eigen_blocks  # noqa: PLC0415  (imports nothing heavy)

    replaced = json.loads(environ.get(_REPLACED) or "{}")
    own = " (set by this machine's environment)" if replaced.get("OPENBLAS_CORETYPE") else ""
    blas = (f" OpenBLAS runs as {state['blas']}, as this machine's environment sets it, so its "
            "results (PCA, for one) may differ from the reference." if state["blas"] else "")
    return (f"Exact figures: ON, level {LEVEL} (x86-64-v3). The same seed gives the same "
            f"figures on this CPU model every time, and mostly the same ones on other x86-64 "
            f"CPUs with {LEVEL} (not always: see the README); make run-all's last lines say "
            f"whether this run matched the reference figures.{blas} {where}, {signature()}.\n"
            f"  oneDNN (TensorFlow): ONEDNN_MAX_CPU_ISA={v['ONEDNN_MAX_CPU_ISA']}\n"
            f"  TensorFlow:          TF_ENABLE_ONEDNN_OPTS={v['TF_ENABLE_ONEDNN_OPTS']}, and on Linux its matrix "
            f"products cut into blocks for caches of {eigen_blocks.describe()} (fixed when it loads)\n"
            f"  NumPy:               NPY_DISABLE_CPU_FEATURES={v['NPY_DISABLE_CPU_FEATURES']}\n"
            f"  OpenBLAS:            OPENBLAS_CORETYPE={v['OPENBLAS_CORETYPE']}{own}\n"
            f"  glibc:               GLIBC_TUNABLES={v['GLIBC_TUNABLES']}\n"
            f"  XLA (JAX):           XLA_FLAGS={v['XLA_FLAGS']}")


def main(argv: list[str] | None = None) -> None:
    """``python -m helpers.cpu_level -- COMMAND [ARGS...]``: run COMMAND with the kit's
    level set (see the module's docstring). ``--exact 0|1`` overrides
    ``ANOMALY_KIT_EXACT``."""
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ)
    if args[:1] == ["--exact"] and len(args) > 1:
        env[SWITCH] = args[1]
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit("usage: python -m helpers.cpu_level [--exact 0|1] -- COMMAND [ARGS...]")
    try:
        env = environment(env)
    except ValueError as err:
        sys.exit(f"error: {err}")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(args[0], args, env)
    except OSError as err:
        sys.exit(f"error: cannot start {args[0]!r}: {err}")


if __name__ == "__main__":
    main()
