"""Does any of the kit's trainings run an instruction whose result depends on the CPU design?

    apt-get install gdb binutils
    .venv/bin/python tools/approximate_instructions.py [--only thyroid:devnet,mnist:mnist_kit]

x86-64 defines the result of nearly every floating-point instruction to the last bit, so
two CPUs running the same code give the same figures. The exceptions are the approximate
reciprocals (``rcpps``, ``rsqrtps`` and their AVX-512 forms): each CPU design has its own
table, and Intel's and AMD's differ in the last bits, also after a Newton step. The tool
lists every such instruction in TensorFlow's compiled kernels (``objdump``), trains every
network of every default dataset for one epoch in quick mode, at the kit's instruction-set
level, as a run would, with a breakpoint on each of them (``gdb``), and says which
trainings reached one, and in which of TensorFlow's functions. An empty table means that on
this machine none did: the kit's TensorFlow trainings then give the same figures on any
x86-64 CPU at that level, as far as these instructions go (cache-dependent block sizes and
dispatch on the CPU's features are fixed by ``helpers.cpu_level`` and
``helpers.eigen_blocks``). Code generated while running (oneDNN's and XLA's) is not
covered. A maintainer's tool, not a test: it needs gdb and binutils, and about 10 minutes
(the first listing of the library takes most of them; it is kept in ``build/``).
Exit status 1 when a training reached one.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPROXIMATE = re.compile(r"\t(v?(?:rcp|rsqrt)(?:ps|ss|14ps|14ss|28ps|28ss))\b")
FUNCTION = re.compile(r"^([0-9a-f]+) <(.*)>:$")
LIBRARY = "libtensorflow_cc.so.2"  # TensorFlow's kernels (the framework library holds none)

PROBE = r"""
import json, os, sys, time
from helpers import datasets, detectors, reproducibility
reproducibility.seed_everything(0, threads=2)
import tensorflow as tf
work = sys.argv[1]
open(os.path.join(work, "pid"), "w").write(str(os.getpid()))
while not os.path.exists(os.path.join(work, "go")):
    time.sleep(0.2)
for pair in json.loads(sys.argv[2]):
    dataset, model = pair
    raw = datasets.load(dataset, seed=0, quick=True)
    split = datasets.split(dataset, raw, seed=0, quick=True)
    with open(os.path.join(work, "current"), "w") as f:
        f.write(f"{dataset}:{model}")
    detector = detectors.build(model, seed=0, threads=2, epochs=1).fit(split)
    detector.score_samples(split, "test")
    print("@@ trained", dataset, model, flush=True)
"""

GDB = r"""
import gdb, json, os
work = os.environ["PROBE_WORK"]
pid = int(open(os.path.join(work, "pid")).read())
base = None
for line in open(f"/proc/{pid}/maps"):
    parts = line.split()
    if len(parts) >= 6 and parts[5].endswith("%(library)s") and int(parts[2], 16) == 0:
        base = int(parts[0].split("-")[0], 16)
        break
sites = json.load(open(os.path.join(work, "sites.json")))
gdb.execute("set pagination off")
gdb.execute("set confirm off")
hits = open(os.path.join(work, "hits.txt"), "w")

class Site(gdb.Breakpoint):
    def __init__(self, address, function, instruction):
        super().__init__(f"*{base + address:#x}", internal=True)
        self.function, self.instruction = function, instruction

    def stop(self):
        current = open(os.path.join(work, "current")).read().strip()
        hits.write(json.dumps([current, self.instruction, self.function]) + "\n")
        hits.flush()
        self.enabled = False  # once is enough
        return False

for address, function, instruction in sites:
    Site(address, function, instruction)
open(os.path.join(work, "go"), "w").write("1")
gdb.execute("continue")
"""


def library_path() -> Path:
    found = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c",
                            "import os, tensorflow as tf; print(os.path.dirname(tf.__file__))"],
                           capture_output=True, text=True, check=True,
                           env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    return Path(found.stdout.strip().splitlines()[-1]) / LIBRARY


def approximate_sites(library: Path) -> list[tuple[int, str, str]]:
    """(address, function, instruction) of every approximate reciprocal in the library,
    from ``objdump``; kept in ``build/`` under the library's size and time."""
    stat = library.stat()
    key = hashlib.sha256(f"{library}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = ROOT / "build" / f"approximate-sites-{key}.json"
    if cache.exists():
        return [tuple(s) for s in json.loads(cache.read_text())]
    print(f"listing the approximate reciprocals in {library.name} (objdump, a few minutes) ...",
          flush=True)
    sites, function = [], ""
    dump = subprocess.Popen(["objdump", "-d", "-C", "--no-show-raw-insn", str(library)],
                            stdout=subprocess.PIPE, text=True, errors="replace")
    for line in dump.stdout:
        head = FUNCTION.match(line)
        if head:
            function = head.group(2)
            continue
        found = APPROXIMATE.search(line)
        if found:
            sites.append((int(line.split(":", 1)[0], 16), function, found.group(1)))
    if dump.wait():
        raise RuntimeError(f"objdump failed on {library}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(sites))
    return sites


def default_pairs() -> list[tuple[str, str]]:
    """Every network a default run trains (autoencoders and baselines), with its dataset."""
    sys.path.insert(0, str(ROOT))
    from helpers import baselines, datasets  # noqa: PLC0415

    pairs = []
    for name in datasets.default_names():
        spec = datasets.spec(name)
        nets = [*spec.models, *(b for b in spec.baselines
                                if getattr(baselines.REGISTRY.get(b), "trains_a_network", False))]
        pairs += [(name, n) for n in dict.fromkeys(nets)]
    return pairs


def short(function: str) -> str:
    """An Eigen functor's name (``scalar_rsqrt_op<float>``) or the function's, shortened."""
    functors = re.findall(r"scalar_\w+_op<[^<>]*>", function)
    return ", ".join(dict.fromkeys(functors)) if functors else function[:120]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="dataset:detector pairs, comma-separated "
                    "(default: every network of every default dataset)")
    args = ap.parse_args(argv)
    for tool in ("gdb", "objdump"):
        if shutil.which(tool) is None:
            print(f"error: needs {tool} (Debian: apt-get install gdb binutils)", file=sys.stderr)
            return 2
    pairs = ([tuple(p.split(":", 1)) for p in args.only.split(",") if p.strip()]
             if args.only else default_pairs())
    sites = approximate_sites(library_path())
    print(f"{len(sites)} approximate reciprocals in {LIBRARY}; training {len(pairs)} networks",
          flush=True)
    sys.path.insert(0, str(ROOT))
    from helpers import cpu_level  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as work:
        Path(work, "sites.json").write_text(json.dumps(sites))
        Path(work, "current").write_text("(starting)")
        Path(work, "attach.py").write_text(GDB % {"library": LIBRARY})
        env = cpu_level.environment(dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
                                         KERAS_BACKEND="tensorflow", PROBE_WORK=work))
        probe = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-c", PROBE, work,
                                  json.dumps(pairs)], cwd=ROOT, env=env)
        while not Path(work, "pid").exists():
            if probe.poll() is not None:
                raise RuntimeError("the probe ended before it could be traced")
            time.sleep(0.5)
        subprocess.run(["gdb", "-q", "-batch", "-p", str(probe.pid), "-x", str(Path(work, "attach.py"))],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if probe.wait():
            raise RuntimeError(f"the probe failed (exit status {probe.returncode})")
        hits = [json.loads(line) for line in Path(work, "hits.txt").read_text().splitlines()]
    reached: dict[str, dict[str, None]] = {}
    for current, instruction, function in hits:
        reached.setdefault(current, {})[f"{instruction} in {short(function)}"] = None
    if not reached:
        print(f"No training reached an approximate reciprocal ({len(pairs)} networks, at the "
              f"kit's level, {cpu_level.LEVEL}, on {cpu_level.cpu_model()}).")
        return 0
    for pair, where in reached.items():
        print(f"{pair}:\n  " + "\n  ".join(where))
    return 1


if __name__ == "__main__":
    sys.exit(main())
