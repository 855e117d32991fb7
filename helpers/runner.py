"""Run every notebook for every dataset headlessly, as ``make run-all`` does.

    python -m helpers.runner [--datasets synthetic,...] [--quick] [--out build]
                             [--seed N] [--epochs N] [--models a,b] [--threshold NAME]
                             [--threads N] [--options '{"key": value}'] [--seeds N]
                             [--jobs N] [--scheduler tcp://host:8786] [--exact 1|0]
                             [--backend tensorflow|jax]

For each dataset the eight notebooks run in order with papermill; the executed
copies go to ``<out>/runs/<dataset>/``, or, when the settings differ from the
notebooks' defaults, to ``<out>/runs/<dataset>-<fingerprint>/`` (``run_name``), so
that a run with other options never overwrites the default run's results. ``--seed``,
``--epochs``, ``--models``, ``--threshold``, ``--threads``, ``--seeds`` and ``--options`` (a dict, as
JSON or a Python literal; one whose keys are dataset names gives each its own) become
those papermill parameters of every notebook; an empty value leaves the notebooks'
default. They are checked for every dataset before any notebook runs: a bad one stops
the run with a message naming it and the valid values (exit 2).

Each dataset's notebooks are one job on a Dask cluster (``helpers.cluster``): a local one of
``--jobs`` worker processes (default 1), or the cluster whose scheduler ``--scheduler``
names; a job's run folder comes home through the Dask client (``helpers.jobs``).

The kernels start with the numeric libraries capped at the kit's instruction-set level
(``helpers.cpu_level``), so that the figures are the same on any x86-64 CPU with it;
``--exact 0`` (make's ``EXACT=0``, or ``ANOMALY_KIT_EXACT=0``) lets them use the CPU's
own code, and such a run goes to a folder of its own too. ``--backend jax`` (make's
``BACKEND=jax``, or ``KERAS_BACKEND=jax``) runs Keras on JAX instead of TensorFlow, in a
folder of its own as well; its summary lists how its figures differ from the reference,
which was made on TensorFlow. A full run with the default
settings ends by comparing its chosen rows with the committed reference figures
(``helpers.reference_figures``).

A dataset whose data must be downloaded first (``make data``) and is not there is
skipped with a line in the summary; when it was named in ``--datasets`` (rather than
coming with ``all``) the run exits non-zero once the other datasets are done. When
every dataset that ran succeeded, their metric rows are gathered into
``<out>/report/metrics.csv`` (its ``quick`` column marks a quick run) and printed. A
failing cell stops that dataset, its executed notebook (with the error) is kept, the
run goes on with the other datasets, and the command exits non-zero naming the notebook
and the cell; no ``metrics.csv`` is written for a failed run. Every run that got as far
as running a notebook ends with its HTML page, ``<out>/report/index.html``
(``helpers.html_report``): the failures in red, or the results.

Ctrl-C, SIGTERM or a closed terminal end every process the run started (the Jupyter
kernels and what they started, training workers included), remove the kernels'
connection files and the workers' semaphores, print one line saying what was
interrupted, and exit with 128 + the signal's number (130 for Ctrl-C, 143 for
SIGTERM), leaving no report tables.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

from . import (cluster, cpu_level, datasets, html_report, paths, progress, reference_figures,
               reproducibility, summary)
from .checks import ParameterError, check_choices
from .interruption import REPORT_TABLES, Run, kernel_manager_class
# The notebook parameters the runner can set (the make variables of the same name in
# capitals); the others (dataset, quick, run_dir) it sets itself.
PARAMS = ("seed", "epochs", "models", "threshold", "threads", "options", "seeds")
QUICK_ON = ("1", "yes", "true")
QUICK_OFF = ("", "0", "no", "false")
QUICK_NOTE = "quick mode: a smoke test, not a result"
# Passed to every kernel the runner starts: helpers.kernel drops ipykernel's own
# "Task was destroyed but it is pending!" line from its shutdown (and nothing else).
KERNEL_ARGUMENTS = ["--IPKernelApp.extensions=helpers.kernel"]


def notebooks(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no numbered notebooks in {paths.show(folder)}")
    return found


def failed_cell(nb_path: Path) -> str:
    """Which cell of an executed notebook raised, as 'cell N (In [k])'."""
    import nbformat  # noqa: PLC0415

    nb = nbformat.read(nb_path, as_version=4)
    # count as in the source notebook: papermill's injected parameters cell is not there
    code = [c for c in nb.cells if c.cell_type == "code"
            and "injected-parameters" not in c.metadata.get("tags", [])]
    for i, cell in enumerate(code, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return f"code cell {i} (In [{cell.get('execution_count')}])"
    return "an unknown cell"


# --- parameters -------------------------------------------------------------------------

def parse_quick(value) -> bool:
    """``QUICK``: on for 1, yes or true; off for 0, no, false or nothing (any case)."""
    text = "" if value is None else str(value).strip().lower()
    if text in QUICK_ON:
        return True
    if text in QUICK_OFF:
        return False
    raise ParameterError(f"QUICK={value!r} is not valid; use 1, yes or true for quick mode, "
                         "or 0, no, false or nothing for a full run")


def parse_options(text: str) -> dict:
    """A dict written as JSON or as a Python literal."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = None
    if not isinstance(value, dict):
        raise ParameterError(f"OPTIONS={text!r} is not a dict; write one as JSON or a Python "
                             """literal, e.g. OPTIONS='{"test_digit": 4}'""")
    return value


def parse_param(name: str, text: str):
    """One notebook parameter from its command-line text, as papermill will pass it.
    Numbers become ints, ``models`` a list; anything else is left as written, so that
    ``configure`` can name it if it is not valid."""
    text = text.strip()
    if name == "options":
        return parse_options(text)
    if name in ("seed", "epochs", "threads", "seeds"):
        try:
            return int(text)
        except ValueError:
            return text
    if name == "models" and text != "default":
        return [m.strip() for m in text.split(",") if m.strip()]
    return text


def notebook_params(args: argparse.Namespace) -> dict:
    """The parameters given on the command line (an empty value: the notebook's default)."""
    given = {name: getattr(args, name) for name in PARAMS}
    return {name: parse_param(name, text) for name, text in given.items()
            if text is not None and text.strip() != ""}


def per_dataset(chosen: list[str], extra: dict) -> dict[str, dict]:
    """Each dataset's notebook parameters. ``options`` whose keys are all dataset names,
    e.g. ``{"nab": {"file": ...}, "mnist": {"test_digit": 3}}``, give each named dataset
    its own options (the others keep their defaults); any other ``options`` go to every
    dataset."""
    opts = extra.get("options")
    if not (isinstance(opts, dict) and set(opts) & set(datasets.names())):
        return {ds: dict(extra) for ds in chosen}
    unknown = sorted(set(opts) - set(datasets.names()))
    if unknown:
        raise ParameterError(f"OPTIONS names datasets and also {unknown}: give options per dataset "
                             f"(keys among {', '.join(datasets.names())}) or for every dataset, "
                             "not both")
    absent = sorted(set(opts) - set(chosen))
    if absent:
        raise ParameterError(f"OPTIONS gives options for {', '.join(absent)}, which this run does "
                             f"not include (it runs {', '.join(chosen)}); add it to DATASETS=, or "
                             "drop its options")
    for ds, value in opts.items():
        if not isinstance(value, dict):
            raise ParameterError(f"OPTIONS for {ds!r} is {value!r}, not a dict; write "
                                 f"""OPTIONS='{{"{ds}": {{"option": value}}}}'""")
    common = {k: v for k, v in extra.items() if k != "options"}
    return {ds: {**common, **({"options": opts[ds]} if ds in opts else {})} for ds in chosen}


def check_params(chosen: list[str], quick: bool, extras: dict[str, dict]) -> None:
    """Every dataset's notebooks would accept their parameters (``configure`` raises a
    ParameterError naming a bad value and the valid ones)."""
    from .params import configure  # noqa: PLC0415

    for ds in chosen:
        try:
            configure(dataset=ds, quick=quick, **extras[ds])
        except ParameterError as err:
            raise ParameterError(f"{ds}: {err}") from None


def run_name(dataset: str, quick: bool, extra: dict, exact: bool = True,
             backend: str = reproducibility.DEFAULT_BACKEND) -> str:
    """The name of a dataset's run folder: the dataset's own for the notebooks' default
    settings, else the dataset's with a fingerprint of the settings that differ (e.g.
    ``nab-3f2a1c9e``), so that runs with other options keep their own results. A value
    given that equals the default (``--seed 42``) does not count as different; figures
    made with the CPU's own code (``exact`` false) or on another Keras backend do."""
    from .params import configure  # noqa: PLC0415

    def settings(**params) -> dict:
        d = configure(dataset=dataset, quick=quick, **params).describe()
        d["options"] = datasets.check_options(dataset, d["options"])
        return json.loads(json.dumps(d, default=str))  # tuples and lists alike

    given, default = settings(**extra), settings()
    changed = {k: given[k] for k in PARAMS if given[k] != default[k]}
    if not exact:
        changed["exact"] = 0
    if backend != reproducibility.DEFAULT_BACKEND:
        changed["backend"] = backend
    if not changed:
        return dataset
    text = json.dumps(changed, sort_keys=True, default=str)
    return f"{dataset}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


# --- running -----------------------------------------------------------------------------

def run_dataset(dataset: str, nbs: list[Path], out: Path, quick: bool, extra: dict,
                timings: list[dict], whole_lines: bool = False, run: Run | None = None,
                before=None, name: str | None = None, events=None,
                run_dir: Path | None = None, notebooks_shown: str | None = None) -> str | None:
    """Execute the notebooks for one dataset; return an error message or None.
    ``whole_lines`` prints each notebook's line only when it ends (for parallel runs,
    whose lines would otherwise interleave). ``before(notebook, run_dir)``, if given, is
    called before each notebook runs (grading keeps a copy of the run folder there).
    ``name`` is the run folder's name under ``<out>/runs/`` (default: the dataset's), or
    ``run_dir`` the run folder itself. ``events``, if given, is called with a dict for
    each notebook's start (``kind`` "notebook", with its code ``cells``), each cell's start
    ("cell") and its end ("done", with ``seconds`` and ``status``) instead of printing
    anything: a job on a cluster sends them to the terminal that started the run, and
    names the notebooks' folder in a failure's message as ``notebooks_shown`` (home's)."""
    import papermill as pm  # noqa: PLC0415

    run_dir = run_dir or out / "runs" / (name or dataset)
    if run_dir.exists():
        shutil.rmtree(run_dir)  # never mix a new run with an old one's results
    run_dir.mkdir(parents=True)
    paths.mark_run_dir(run_dir)  # a run folder the notebooks may use, wherever --out puts it
    rel_run = os.path.relpath(run_dir, paths.project_root())
    params = dict(dataset=dataset, quick=quick, run_dir=rel_run, **extra)
    engine = {}
    if run is not None:
        engine = dict(kernel_manager_class=kernel_manager_class(run.connection_dir),
                      extra_arguments=list(KERNEL_ARGUMENTS))
    try:
        for nb in nbs:
            if before is not None:
                before(nb, run_dir)
            target = run_dir / nb.name
            start = time.perf_counter()
            label = f"  {dataset:<12} {nb.name:<22}"
            if run is not None:
                run.started(dataset, nb.name)
            line = None
            if events is not None:
                line = progress.EventLine(events, nb.name, progress.code_cells(nb) + 1)
            elif not whole_lines:  # on a terminal: a live cell counter and the time so far
                line = progress.NotebookLine(label, progress.code_cells(nb) + 1)  # + parameters
                if run is not None:
                    run.partial_line = True
            hook = {"on_cell_start": line.cell_started} if line is not None else {}
            try:
                pm.execute_notebook(str(nb), str(target), parameters=params, cwd=str(nb.parent),
                                    progress_bar=False, log_output=False, report_mode=False,
                                    **engine, **hook)
            except pm.PapermillExecutionError as err:
                seconds = time.perf_counter() - start
                if line is not None:
                    line.done(f"FAILED after {seconds:.1f}s")
                else:
                    print(f"{label}FAILED after {seconds:.1f}s", flush=True)
                if run is not None:
                    run.partial_line = False
                timings.append(dict(dataset=dataset, notebook=nb.name, seconds=round(seconds, 1),
                                    status="failed"))
                shown = f"{notebooks_shown}/{nb.name}" if notebooks_shown else paths.show(nb)
                return (f"{dataset}: {shown} failed in {failed_cell(target)}: "
                        f"{err.ename}: {err.evalue}\n    the executed notebook with the error is "
                        f"kept at {paths.show(target)}")
            except BaseException:
                if line is not None:  # the live line stops redrawing, whatever happened
                    line.done("stopped")
                raise
            seconds = time.perf_counter() - start
            timings.append(dict(dataset=dataset, notebook=nb.name, seconds=round(seconds, 1),
                                status="ok"))
            if line is not None:
                line.done(f"{seconds:6.1f}s")
            else:
                print(f"{label}{seconds:6.1f}s", flush=True)
            if run is not None:
                run.partial_line = False
    finally:
        if run is not None:
            run.finished(dataset)
    return None


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="all", help="comma-separated names, or 'all'")
    ap.add_argument("--quick", nargs="?", const="1", default="",
                    help="few epochs: a smoke test, not a result (1/yes/true: on; 0/no/false or "
                         "empty: off; --quick alone: on)")
    ap.add_argument("--out", default="build", help="output folder, relative to the kit (default build)")
    ap.add_argument("--notebooks", default="notebooks", help="folder of numbered notebooks")
    for name, what in [("seed", "every notebook's seed"),
                       ("epochs", "the most epochs a model trains ('default': the dataset's)"),
                       ("models", "comma-separated autoencoders ('default': the dataset's)"),
                       ("threshold", "threshold method of the report ('default': the dataset's)"),
                       ("threads", "CPU threads Keras's backend may use, and trainings side by side"),
                       ("options", "dataset settings, a dict as JSON or a Python literal"),
                       ("seeds", "trainings of each dataset's own autoencoder and of the two "
                                 "best by validation PR-AUC, to measure the seed's noise "
                                 "('default': 3; 1 in quick mode)")]:
        ap.add_argument(f"--{name}", default=None, help=f"{what}; empty: the notebooks' default")
    cluster.add_arguments(ap, "datasets")
    ap.add_argument("--exact", default=None,
                    help=f"1: cap the numeric libraries at {cpu_level.LEVEL}, for the same figures on "
                         "any x86-64 CPU with it; 0: the CPU's own, faster code (default: "
                         f"${cpu_level.SWITCH}, else 1)")
    ap.add_argument("--backend", default=None,
                    help=f"Keras's backend: {' or '.join(reproducibility.BACKENDS)} (default: "
                         f"$KERAS_BACKEND, else {reproducibility.DEFAULT_BACKEND}); jax needs the "
                         "extra that `make run-all BACKEND=jax` installs")
    return ap.parse_args(argv)


def check_backend(name: str | None) -> str:
    """The Keras backend a run uses (``name``, else ``KERAS_BACKEND``, else the default),
    checked: a known one, and installed."""
    import importlib.util  # noqa: PLC0415

    name = (name if name is not None else os.environ.get("KERAS_BACKEND", "")).strip() \
        or reproducibility.DEFAULT_BACKEND
    if name not in reproducibility.BACKENDS:
        raise ParameterError(f"BACKEND={name!r} is not a Keras backend the kit runs on; valid: "
                             f"{', '.join(reproducibility.BACKENDS)}")
    if importlib.util.find_spec(name) is None:
        raise ParameterError(f"BACKEND={name} needs {name}, which is not installed here; "
                             f"`make run-all BACKEND={name}` installs it "
                             f"(requirements-{name}.txt), with the package index reachable")
    return name


def main(argv=None) -> int:
    from . import jobs  # noqa: PLC0415

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [jobs.JOB_FLAG]:  # a dataset's job, on a cluster worker
        return jobs.child(argv[1:], run_chain_job)
    args = parse_args(argv)
    root = paths.project_root()
    if args.jobs < 1:
        print(f"error: --jobs={args.jobs} is not valid; expected 1 or more", file=sys.stderr)
        return 2
    out = (root / args.out).resolve()
    if out.exists() and any(out.iterdir()) and not paths.kit_made(out):
        print(f"error: --out {args.out} is a folder the kit did not make, and a run clears parts "
              "of its folder; choose a new or empty folder, or leave --out at build",
              file=sys.stderr)
        return 2
    if args.exact is not None:
        os.environ[cpu_level.SWITCH] = str(args.exact).strip()
    try:  # the kernels inherit these (and set them again as they start)
        os.environ["KERAS_BACKEND"] = check_backend(args.backend)
        os.environ.update(cpu_level.environment())
    except (ValueError, ParameterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not paths.kit_made(out):
        paths.mark_run_dir(out)  # a new folder: the kit's from now on
    with Run(out / "report") as run:  # from here on, an interruption ends cleanly
        return run_all(args, root, out, run)


def run_all(args, root: Path, out: Path, run: Run) -> int:
    explicit = args.datasets.strip() not in ("all", "")
    extra: dict = {}
    try:
        quick = parse_quick(args.quick)
        chosen = check_choices("DATASETS", args.datasets, datasets.names()) if explicit \
            else datasets.default_names()
        extra = notebook_params(args)
        extras = per_dataset(chosen, extra)
        check_params(chosen, quick, extras)
        exact = cpu_level.exact_requested()
        backend = reproducibility.backend()
        names = {ds: run_name(ds, quick, extras[ds], exact, backend) for ds in chosen}
        # a run on another backend is held against the reference too, to show the difference
        comparable = all(run_name(ds, quick, extras[ds], exact) == ds for ds in chosen)
        scheduler = cluster.check_scheduler(args.scheduler)
    except ParameterError as err:
        suits_some = {"models", "options"} & set(extra)  # values that suit only some datasets
        hint = ("\n  (every dataset runs by default: name those these values suit with "
                "DATASETS=..., or --datasets; or give each dataset its own options: "
                """OPTIONS='{"nab": {"file": ...}}')""") if suits_some and not explicit else ""
        print(f"error: {err}{hint}", file=sys.stderr)
        return 2
    nbs = notebooks(root / args.notebooks)
    report = out / "report"
    for stale in REPORT_TABLES:
        (report / stale).unlink(missing_ok=True)  # a failed run must not leave an old table

    folders = ", ".join(f"{ds} in {names[ds]}/" for ds in chosen if names[ds] != ds)
    print(f"Running {len(nbs)} notebooks for {', '.join(chosen)}"
          f"{' (' + QUICK_NOTE + ')' if quick else ''}"
          f"{' on Keras with ' + backend if backend != reproducibility.DEFAULT_BACKEND else ''}; executed notebooks go to "
          f"{paths.show(out / 'runs')}/<dataset>/"
          f"{'; settings other than the defaults: ' + folders if folders else ''}")
    total = time.perf_counter()
    timings, skipped = [], {}
    for ds in chosen:
        gone = datasets.missing_data(ds, extras[ds].get("options"))
        if gone:
            skipped[ds] = (f"{ds}: SKIPPED, its data is not there ({', '.join(paths.show(g) for g in gone)}); "
                           "run `make data` on a machine with internet access to fetch it")
            print(f"  {skipped[ds]}")
            shutil.rmtree(out / "runs" / names[ds], ignore_errors=True)  # no old results left behind
    todo = [ds for ds in chosen if ds not in skipped]
    run.todo = list(todo)
    specs = {ds: chain_spec(ds, nbs, out, quick, extras[ds], names[ds], scheduler) for ds in todo}
    try:
        messages = run_on_cluster(specs, out, names, timings, run, scheduler, args.jobs)
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return finish(quick, explicit, out, todo, skipped, [messages.get(ds) for ds in todo], timings,
                  time.perf_counter() - total, names, comparable)


def chain_spec(dataset: str, nbs: list[Path], out: Path, quick: bool, extra: dict, name: str,
               scheduler: str | None) -> dict:
    """What a worker needs to run one dataset's notebooks (:mod:`helpers.jobs`): the
    notebooks themselves, the parameters, where the run folder lies relative to the kit,
    and the environment the kernels start in."""
    from . import jobs  # noqa: PLC0415

    root = paths.project_root()
    run_dir = out / "runs" / name
    return dict(dataset=dataset, quick=quick, extra=extra, name=name,
                env=cluster.job_environment(scheduler),
                notebooks={nb.name: nb.read_text() for nb in nbs},
                notebooks_shown=paths.show(nbs[0].parent),
                run_rel=os.path.relpath(run_dir, root) if paths.is_inside(run_dir, root) else None,
                fingerprint=jobs.fingerprint())


# --- a dataset's notebooks as a job on a cluster worker (helpers.jobs) -------------------------

def prepare_chain_job(spec: dict, work: Path, shared=None) -> dict:  # noqa: ARG001
    """On the worker: the notebooks, written into the job's folder ``work``, and the run
    folder: at the home run folder's path inside this worker's kit (so that the executed
    notebooks print the same paths), or in ``work`` when it lay outside the kit."""
    folder = work / "notebooks"
    folder.mkdir()
    for name, text in spec.pop("notebooks").items():
        (folder / Path(name).name).write_text(text)
    rel = spec.get("run_rel")
    spec["run_dir"] = str(paths.project_root() / rel if rel else work / "runs" / spec["name"])
    return spec


def collect_chain_job(spec: dict, work: Path) -> dict:  # noqa: ARG001
    """On the worker: the run folder, packed to go home."""
    from . import transfer  # noqa: PLC0415

    return {"archive": transfer.pack(Path(spec["run_dir"]))}


def run_chain_job(spec: dict, work: Path) -> dict:
    """In the job's process: the dataset's notebooks, as on one machine."""
    from . import jobs  # noqa: PLC0415

    timings: list[dict] = []
    with Run(work / "report") as run:
        run.todo = [spec["dataset"]]
        message = run_dataset(spec["dataset"], notebooks(work / "notebooks"), work, spec["quick"],
                              spec["extra"], timings, run=run, events=jobs.send,
                              run_dir=Path(spec["run_dir"]),
                              notebooks_shown=spec.get("notebooks_shown"))
    return {"message": message, "timings": timings}


def chain_kind():
    from . import jobs  # noqa: PLC0415

    return jobs.Kind("helpers.runner", prepare_chain_job, collect_chain_job)


def run_on_cluster(specs: dict[str, dict], out: Path, names: dict, timings: list[dict], run: Run,
                   scheduler: str | None, jobs: int) -> dict[str, str | None]:
    """Each dataset's notebooks as one job on the Dask cluster (a local one of ``jobs``
    workers unless ``scheduler`` names one); each run folder comes home into
    ``<out>/runs/``. Returns each dataset's error message, or None."""
    from . import transfer  # noqa: PLC0415

    lines = progress.JobLines(whole_lines=jobs > 1 or bool(scheduler))
    messages: dict[str, str | None] = {}

    def on_event(ds: str, event: dict) -> None:
        kind = event.get("kind")
        if kind == "submitted":  # an interruption now names it as running
            run.started(ds, "(starting)")
            return
        if kind in ("stderr", "text"):
            progress.interject(event["text"], sys.stderr)
            return
        if kind == "notebook":
            if ds in lines.open:  # a job begun again: its worker was lost
                lines.close(ds, "its worker was lost; the job runs again on another worker")
            run.started(ds, event["notebook"])
            run.partial_line = not lines.whole
        lines.event(ds, event)
        if kind == "done":
            run.partial_line = False

    def on_result(ds: str, result) -> None:
        run.finished(ds)
        if ds in lines.open:
            lines.close(ds, "FAILED")
        if isinstance(result, Exception):
            messages[ds] = f"{ds}: the job could not run: {type(result).__name__}: {result}"
        elif result.get("cancelled"):
            messages[ds] = f"{ds}: cancelled"
        else:
            transfer.unpack(result["archive"], out / "runs" / names[ds])
            timings.extend(result["timings"])
            messages[ds] = result["message"]

    with cluster.Cluster(scheduler, jobs) as jobs_cluster:
        run.on_interrupt = jobs_cluster.cancel
        print(f"  jobs run on {jobs_cluster.describe()}", flush=True)
        jobs_cluster.run(chain_kind(), specs, on_event, on_result,
                         status=lambda text: progress.interject(f"  {text}", sys.stdout))
        run.on_interrupt = None
    return messages


def finish(quick: bool, explicit: bool, out: Path, ran: list[str], skipped: dict,
           messages: list, timings: list[dict], elapsed: float,
           names: dict | None = None, default_settings: bool | None = None) -> int:
    """Write the report tables and print the summary; the exit status. ``names`` maps a
    dataset to its run folder's name (default: the dataset's); ``default_settings`` says
    whether the figures may be held against the reference (default: every dataset ran
    in its own folder, with the default settings)."""
    names = names or {}
    import pandas as pd  # noqa: PLC0415

    report = out / "report"
    failures = [m for m in messages if m]
    timings.sort(key=lambda t: ran.index(t["dataset"]))  # stable: notebook order kept
    summary.write(pd.DataFrame(timings), report / "timings.csv")
    if not ran:
        print("FAILED: no dataset could run:\n  - " + "\n  - ".join(skipped.values()), file=sys.stderr)
        return 1

    def page(df=None, notes=None) -> None:
        """The run's HTML page, build/report/index.html, with every notebook as HTML."""
        index = html_report.write(out, {ds: out / "runs" / names.get(ds, ds) for ds in ran},
                                  pd.DataFrame(timings), df, failures, quick, elapsed, notes)
        print(f"\nThe run's page: {paths.show(index)} (every notebook as HTML beside it)")

    if failures:
        page()
        print(f"\nFAILED after {elapsed:.0f}s; no metrics table was written.", file=sys.stderr)
        for msg in failures:
            print(f"  - {msg}", file=sys.stderr)
        return 1
    files = [out / "runs" / names.get(ds, ds) / "metrics.csv" for ds in ran]
    missing = [f for f in files if not f.exists()]
    if missing:
        print(f"FAILED: the notebooks ran but wrote no {', '.join(paths.show(m) for m in missing)}",
              file=sys.stderr)
        failures.append(f"the notebooks ran but wrote no {', '.join(paths.show(m) for m in missing)}")
        page()
        return 1
    df = summary.collect(files)
    df["quick"] = quick  # the run's own flag, whatever the notebooks wrote
    summary.write(df, report / "metrics.csv")
    tuning = [out / "runs" / names.get(ds, ds) / "tuning.csv" for ds in ran]
    if any(f.exists() for f in tuning):
        tuned = summary.collect([f for f in tuning if f.exists()])
        tuned["quick"] = quick
        summary.write(tuned, report / "tuning.csv")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    print(f"\nAll notebooks ran in {elapsed:.0f}s{' (' + QUICK_NOTE + ')' if quick else ''}. "
          "Test-set figures at each detector's chosen "
          f"threshold (all threshold methods are in {paths.show(report / 'metrics.csv')}):\n")
    picked = summary.chosen(df)
    warned = picked["warning"].fillna("").astype(str) != ""
    shown = picked[summary.HEADLINE].assign(warning=warned.map({True: "!", False: ""}))
    shown = shown.dropna(axis=1, how="all")  # event columns: series only
    print(summary.rounded(shown).to_string(index=False))
    for _, row in picked[warned].iterrows():
        print(f"  ! {row['dataset']} {row['model']} ({row['threshold_method']}): {row['warning']}")
    notes = []
    if not cpu_level.exact_requested():
        notes.append(f"These figures were made with this CPU's own code ({cpu_level.SWITCH}=0, "
                     "EXACT=0); another machine may print other ones.")
    if default_settings is None:
        default_settings = all(names.get(ds, ds) == ds for ds in ran)
    notes.append(reference_figures.verdict(df, default_settings, quick))
    for note in notes:
        print(f"\n{note}")
    page(df, notes)
    for line in skipped.values():
        print(f"\n{line}")
    if skipped and explicit:
        print(f"\nFAILED: {', '.join(skipped)} could not run (no data), and --datasets named "
              f"{'it' if len(skipped) == 1 else 'them'}; the table above holds the others.",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
