"""Does any of the kit's trainings run an instruction whose result depends on the CPU design?

    apt-get install gdb binutils
    .venv/bin/python tools/approximate_instructions.py [--only thyroid:devnet,mnist:mnist_kit]

x86-64 defines the result of nearly every floating-point instruction to the last bit, so
two CPUs running the same code give the same figures. The exceptions are the approximate
reciprocals (``rcpps``, ``rsqrtps`` and their scalar and AVX-512 forms): each CPU design has
its own table, and Intel's and AMD's differ in the last bits, also after a Newton step. The
tool lists every such instruction in TensorFlow's compiled libraries (``objdump``), then runs
a training process under ``gdb`` with a breakpoint on each of them: at the kit's
instruction-set level, as a run would, it trains every network of every default dataset in
quick mode (an autoencoder for one epoch; DevNet and MemAE+DevNet for their own number of
epochs), and says which trainings reached one, and in which of TensorFlow's functions. The
breakpoints are set afresh before each training, so every training that reaches a site is
named. Before the trainings, a control computes ``tf.math.rsqrt``, which must reach one: a
run whose control reached nothing proves nothing, and the tool says so.

"None reached" means that on this machine the kit's TensorFlow trainings give the same
figures on any x86-64 CPU at that level, as far as these instructions go (cache-dependent
block sizes and dispatch on the CPU's features are fixed by ``helpers.cpu_level`` and
``helpers.eigen_blocks``). Code generated while running (oneDNN's and XLA's) is not covered.
A maintainer's tool, not a test: it needs gdb and binutils, and about 10 minutes (listing
the libraries takes most of them the first time; the list is kept in ``build/``).
Exit status: 0 none reached, 1 a training reached one, 2 the check could not be made.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
APPROXIMATE = re.compile(r"\t(v?(?:rcp|rsqrt)(?:14|28)?(?:ps|ss|pd|sd|ph|sh))\b")
FUNCTION = re.compile(r"^([0-9a-f]+) <(.*)>:$")
CONTROL = "(control: tf.math.rsqrt)"

# Runs as gdb's own process. Before each part (the control, then each training) it writes
# the part's name and stops itself with SIGUSR1, which gdb takes (the process never sees
# it) to set, or set again, its breakpoints.
PROBE = r"""
import json, os, signal, sys
sys.path.insert(0, os.getcwd())
from helpers import datasets, detectors, reproducibility
reproducibility.seed_everything(0, threads=2)
import tensorflow as tf
work = sys.argv[1]

def part(name):
    with open(os.path.join(work, "current"), "w") as f:
        f.write(name)
    os.kill(os.getpid(), signal.SIGUSR1)

part(open(os.path.join(work, "control.txt")).read())
tf.function(lambda x: tf.math.rsqrt(x))(tf.fill([1024], 2.0)).numpy()
for dataset, model in json.load(open(os.path.join(work, "pairs.json"))):
    part(f"{dataset}:{model}")
    raw = datasets.load(dataset, seed=0, quick=True)
    split = datasets.split(dataset, raw, seed=0, quick=True)
    detector = detectors.build(model, seed=0, threads=2, epochs=1).fit(split)
    detector.score_samples(split, "test")
    print("trained", dataset, model, flush=True)
"""

GDB = r"""
import gdb, json, os
work = os.environ["PROBE_WORK"]
sites = json.load(open(os.path.join(work, "sites.json")))  # {library: [[address, function, instruction]]}
hits = open(os.path.join(work, "hits.txt"), "w")
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("handle SIGUSR1 stop print nopass")  # (noprint would mean nostop)

class Site(gdb.Breakpoint):
    def __init__(self, address, function, instruction):
        super().__init__(f"*{address:#x}", internal=True)
        self.function, self.instruction = function, instruction

    def stop(self):
        current = open(os.path.join(work, "current")).read().strip()
        hits.write(json.dumps([current, self.instruction, self.function]) + "\n")
        hits.flush()
        self.enabled = False  # once per part is enough: the next part sets it again
        return False

def bases(pid):
    found = {}
    for line in open(f"/proc/{pid}/maps"):
        parts = line.split()
        if len(parts) >= 6 and int(parts[2], 16) == 0:
            for library in sites:
                if parts[5].endswith("/" + library):
                    found.setdefault(library, int(parts[0].split("-")[0], 16))
    return found

placed = []
gdb.execute("run")
while gdb.selected_inferior().pid:
    if not placed:
        found = bases(gdb.selected_inferior().pid)
        for library, base in found.items():
            placed += [Site(base + a, f, i) for a, f, i in sites[library]]
        with open(os.path.join(work, "armed.json"), "w") as f:
            json.dump({"libraries": sorted(found), "breakpoints": len(placed)}, f)
    for site in placed:
        site.enabled = True
    gdb.execute("continue")
"""


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def library_folder() -> Path:
    found = subprocess.run([str(PYTHON), "-c", "import os, tensorflow as tf; print(os.path.dirname(tf.__file__))"],
                           capture_output=True, text=True, check=True,
                           env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    return Path(found.stdout.strip().splitlines()[-1])


def approximate_sites(library: Path) -> list[tuple[int, str, str]]:
    """(address, function, instruction) of every approximate reciprocal in the library,
    from ``objdump``; kept in ``build/`` under the library's path, size and time."""
    stat = library.stat()
    key = hashlib.sha256(f"{library}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = ROOT / "build" / f"approximate-sites-{key}.json"
    if cache.exists():
        return [tuple(s) for s in json.loads(cache.read_text())]
    print(f"listing the approximate reciprocals in {library.name} (objdump, minutes) ...", flush=True)
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
    part = cache.with_suffix(f".{os.getpid()}.part")
    part.write_text(json.dumps(sites))
    os.replace(part, cache)
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


def parse_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in (p.strip() for p in text.split(",") if p.strip()):
        dataset, sep, model = item.partition(":")
        if not sep or not dataset.strip() or not model.strip():
            raise ValueError(f"--only: {item!r} is not dataset:detector (e.g. thyroid:devnet)")
        pairs.append((dataset.strip(), model.strip()))
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
            return fail(f"needs {tool} (Debian: apt-get install gdb binutils)")
    if not PYTHON.exists():
        return fail(f"{PYTHON} is missing: run `make setup` first")
    try:
        pairs = parse_pairs(args.only) if args.only else default_pairs()
    except ValueError as err:
        return fail(str(err))
    sys.path.insert(0, str(ROOT))
    from helpers import cpu_level, eigen_blocks  # noqa: PLC0415

    folder = library_folder()
    sites = {name: approximate_sites(folder / name) for name in eigen_blocks.LIBRARIES}
    print(", ".join(f"{len(s)} approximate reciprocals in {n}" for n, s in sites.items())
          + f"; training {len(pairs)} networks", flush=True)
    with tempfile.TemporaryDirectory() as work:
        Path(work, "sites.json").write_text(json.dumps(sites))
        Path(work, "current").write_text("(starting)")
        Path(work, "probe.gdb.py").write_text(GDB)
        Path(work, "probe.py").write_text(PROBE)  # files, not arguments: gdb splits those at spaces
        Path(work, "pairs.json").write_text(json.dumps(pairs))
        Path(work, "control.txt").write_text(CONTROL)
        env = cpu_level.environment(dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
                                         KERAS_BACKEND="tensorflow", PROBE_WORK=work))
        done = subprocess.run(["gdb", "-q", "-batch", "-iex", "set startup-with-shell off",
                               "-x", str(Path(work, "probe.gdb.py")), "--args", str(PYTHON),
                               str(Path(work, "probe.py")), work],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        armed_file, hits_file = Path(work, "armed.json"), Path(work, "hits.txt")
        armed = json.loads(armed_file.read_text()) if armed_file.exists() else {}
        hits = ([json.loads(line) for line in hits_file.read_text().splitlines()]
                if hits_file.exists() else [])
        trained = done.stdout.count("trained ")
    if not armed.get("breakpoints"):
        return fail("gdb set no breakpoint (is its Python support there?):\n" + done.stderr[-2000:])
    if not any(current == CONTROL for current, _, _ in hits):
        return fail("the control reached no breakpoint, so the trainings prove nothing:\n"
                    + done.stderr[-2000:])
    if trained != len(pairs):
        return fail(f"{trained} of {len(pairs)} trainings finished:\n{done.stdout[-1500:]}{done.stderr[-2000:]}")
    reached: dict[str, dict[str, None]] = {}
    for current, instruction, function in hits:
        if current != CONTROL:
            reached.setdefault(current, {})[f"{instruction} in {short(function)}"] = None
    level = f"the kit's level, {cpu_level.LEVEL}, on {cpu_level.cpu_model()}"
    print(f"{armed['breakpoints']} breakpoints in {', '.join(armed['libraries'])}; the control reached one.")
    if not reached:
        print(f"No training reached an approximate reciprocal ({len(pairs)} networks, at {level}).")
        return 0
    for pair, where in reached.items():
        print(f"{pair}:\n  " + "\n  ".join(where))
    return 1


if __name__ == "__main__":
    sys.exit(main())
