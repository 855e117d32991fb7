"""The instruction-set level (helpers/cpu_level.py): what it sets, how a process gets it,
and that it binds: a training at a level gives the same weights as one on a CPU that has
nothing above that level, and other weights at another level."""
import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from helpers import cpu_level, paths

ALL_OFF = {k: "" for k in (*cpu_level.VARIABLES, cpu_level.SWITCH, "ANOMALY_KIT_REPLACED",
                            "KERAS_BACKEND")}


def plain(**extra):
    """The test process's environment without any level set, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ALL_OFF}
    env.update(extra)
    return env


def test_the_default_caps_every_library_at_avx2():
    if not cpu_level.has("AVX2"):
        pytest.skip("needs a CPU with AVX2")
    env = cpu_level.environment(plain())
    assert env[cpu_level.SWITCH] == "1"
    assert env["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "0"  # Eigen's products on every CPU, not oneDNN's on some
    assert "X86_V4" in env["NPY_DISABLE_CPU_FEATURES"].split()
    assert env["OPENBLAS_CORETYPE"] == "Haswell"
    assert "-AVX512F" in env["GLIBC_TUNABLES"]
    assert env["XLA_FLAGS"] == "--xla_cpu_max_isa=AVX2"  # JAX's compiler


def test_a_cpu_without_the_level_gets_nothing_forced():
    # OPENBLAS_CORETYPE=Haswell on a CPU without AVX2 would crash at the first matrix product
    assert cpu_level.settings("AVX2", plain(), flags={"sse4_2", "avx"}) == {}
    assert cpu_level.settings("AVX", plain(), flags={"sse4_2", "avx"})["OPENBLAS_CORETYPE"] == "Sandybridge"


def test_a_kept_openblas_core_is_named_in_the_label():
    if not cpu_level.has("AVX2"):
        pytest.skip("needs a CPU with AVX2")
    env = cpu_level.environment(plain(OPENBLAS_CORETYPE="SkylakeX"))
    assert cpu_level.label(env) == "AVX2 (OpenBLAS SkylakeX)"
    assert "OpenBLAS runs as SkylakeX" in cpu_level.describe(env)


def test_a_value_the_machine_sets_is_kept_and_other_tunables_stay():
    if not cpu_level.has("AVX2"):
        pytest.skip("needs a CPU with AVX2")
    env = cpu_level.environment(plain(OPENBLAS_CORETYPE="Zen",
                                      GLIBC_TUNABLES="glibc.malloc.arena_max=2:glibc.cpu.hwcaps=-AVX",
                                      XLA_FLAGS="--xla_dump_to=/tmp/x"))
    assert env["OPENBLAS_CORETYPE"] == "Zen"
    assert env["XLA_FLAGS"] == "--xla_dump_to=/tmp/x --xla_cpu_max_isa=AVX2"
    assert cpu_level.environment(plain(XLA_FLAGS="--xla_cpu_max_isa=AVX512"))["XLA_FLAGS"] == \
        "--xla_cpu_max_isa=AVX2"  # another cap is replaced: the figures say AVX2
    parts = env["GLIBC_TUNABLES"].split(":")
    assert "glibc.malloc.arena_max=2" in parts
    assert [p for p in parts if p.startswith("glibc.cpu.hwcaps=")] == \
        ["glibc.cpu.hwcaps=-AVX," + ",".join(f"-{m}" for m in cpu_level.LEVELS["AVX2"]["hwcaps"])]


def test_setting_the_level_twice_changes_nothing_and_exact_0_gives_the_machines_own_back():
    start = plain(OPENBLAS_CORETYPE="Zen")
    once = cpu_level.environment(start)
    assert cpu_level.environment(once) == once
    off = cpu_level.environment(dict(once, **{cpu_level.SWITCH: "0"}))
    assert off == dict(start, **{cpu_level.SWITCH: "0"})  # Zen back, the others gone


def test_a_process_on_jax_gets_xlas_quicker_compile_settings_with_either_switch():
    quick = "--xla_llvm_disable_expensive_passes=true"
    for switch in ("1", "0"):
        env = cpu_level.environment(plain(KERAS_BACKEND="jax", **{cpu_level.SWITCH: switch}))
        assert quick in env["XLA_FLAGS"].split()
        assert cpu_level.environment(env) == env  # added once
        if switch == "1" and cpu_level.has("AVX2"):
            assert env["XLA_FLAGS"] == f"--xla_cpu_max_isa=AVX2 {quick}"
    for switch in ("1", "0"):  # TensorFlow's processes do not get them
        env = cpu_level.environment(plain(KERAS_BACKEND="tensorflow", **{cpu_level.SWITCH: switch}))
        assert quick not in env.get("XLA_FLAGS", "").split()
    given = cpu_level.environment(plain(KERAS_BACKEND="jax",
                                        XLA_FLAGS="--xla_llvm_disable_expensive_passes=false"))
    assert "--xla_llvm_disable_expensive_passes=false" in given["XLA_FLAGS"].split()
    assert quick not in given["XLA_FLAGS"].split()  # the environment's own value is kept


def test_a_bad_switch_names_the_value_and_what_is_valid():
    with pytest.raises(ValueError, match=r"ANOMALY_KIT_EXACT='2'.*use 1 .* or 0"):
        cpu_level.environment(plain(ANOMALY_KIT_EXACT="2"))
    done = subprocess.run([sys.executable, "-m", "helpers.cpu_level", "--exact", "yes", "--", "true"],
                          env=plain(), capture_output=True, text=True, cwd=paths.project_root())
    assert done.returncode != 0 and "ANOMALY_KIT_EXACT='yes'" in done.stderr


def test_the_launcher_starts_the_command_with_the_level_or_without_it():
    if not cpu_level.has("AVX2"):
        pytest.skip("needs a CPU with AVX2")
    show = [sys.executable, "-c", "import os, json; print(json.dumps(dict(os.environ)))"]
    for exact, isa in (("1", "AVX2"), ("", "AVX2"), ("0", None)):
        done = subprocess.run([sys.executable, "-m", "helpers.cpu_level", "--exact", exact, "--", *show],
                              env=plain(), capture_output=True, text=True, check=True,
                              cwd=paths.project_root())
        env = json.loads(done.stdout)
        assert env.get("ONEDNN_MAX_CPU_ISA") == isa and env[cpu_level.SWITCH] == (exact or "1")


def test_what_a_run_records_and_says():
    on = cpu_level.environment(plain())
    off = cpu_level.environment(plain(ANOMALY_KIT_EXACT="0"))
    has = cpu_level.in_force(on)["has_level"]
    assert cpu_level.label(on) == ("AVX2" if has else "AVX2 (not this CPU)")
    assert cpu_level.label(off) == "off"
    assert "Exact figures: OFF" in cpu_level.describe(off)
    assert cpu_level.describe(on).startswith("Exact figures: ON, level AVX2" if has else
                                             "Exact figures: level AVX2 asked for")
    assert "not started by the kit" in cpu_level.describe(plain())  # e.g. another Jupyter kernel
    assert cpu_level.label(plain()) == "off"


def test_a_process_is_judged_by_the_environment_it_started_with(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SET_LATER")  # too late for libraries already loaded
    assert cpu_level.start_environment().get("ONEDNN_MAX_CPU_ISA") != "SET_LATER"


# -- the level binds --------------------------------------------------------------------

TRAIN = """
import hashlib, numpy as np
from helpers import datasets, detectors
raw = datasets.load("synthetic", seed=0, quick=True)
split = datasets.split("synthetic", raw, seed=0, quick=True)
det = detectors.build("kit_dense", seed=0, epochs=3).fit(split)
weights = np.concatenate([w.ravel() for w in det.model_.get_weights()])
x = np.random.default_rng(0).standard_normal((300, 257))
extra = np.array([np.exp(x.astype("float32")).sum(), (x @ x.T).sum(), np.sin(x).sum()])
print(hashlib.sha256(weights.tobytes() + det.score_samples(split, "test").tobytes()
                     + extra.tobytes()).hexdigest())
"""

# What a Sandy Bridge CPU (AVX, 2011) has: an older CPU that still has the level AVX.
SANDY_BRIDGE_SIMD = {"sse", "sse2", "ssse3", "sse4_1", "sse4_2", "popcnt", "avx", "aes", "pclmulqdq"}
SIMD = re.compile(r"avx|fma|bmi|f16c|movbe|abm|lzcnt|vaes|vpclmul|sha|adx|gfni|amx|sse4a|xop")


def older_cpu(level_env: dict) -> dict:
    """``level_env`` plus every instruction set above AVX masked off, in every library,
    found independently of the kit's own table: the CPU's flags for glibc, NumPy's own
    list of the code paths it dispatches to."""
    from numpy._core._multiarray_umath import __cpu_dispatch__

    above = sorted(f for f in cpu_level.cpu_flags() if SIMD.search(f) and f not in SANDY_BRIDGE_SIMD)
    env = dict(level_env)
    env["GLIBC_TUNABLES"] = "glibc.cpu.hwcaps=" + ",".join(f"-{f.upper()}" for f in above)
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(__cpu_dispatch__)  # all above its SSE4.2 baseline
    env["ONEDNN_MAX_CPU_ISA"] = "AVX"
    env["OPENBLAS_CORETYPE"] = "Sandybridge"
    return env


def trained_hash(env: dict) -> str:
    done = subprocess.run([sys.executable, "-c", TRAIN], env=env, capture_output=True, text=True,
                          cwd=paths.project_root(), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_level_binds_a_training_to_the_last_bit():
    flags = cpu_level.cpu_flags()
    if not {"avx", "avx2", "fma"} <= flags:
        pytest.skip("needs an x86-64 CPU with AVX2, so that the level AVX is below its own")
    base = plain(TF_CPP_MIN_LOG_LEVEL="3")
    at_avx = dict(base, **cpu_level.settings("AVX", base))
    at_avx2 = dict(base, **cpu_level.settings("AVX2", base))
    first = trained_hash(at_avx)
    assert trained_hash(older_cpu(at_avx)) == first  # nothing above the level leaks through
    assert trained_hash(at_avx2) != first  # the level matters: the test can fail
