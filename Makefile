# Two commands on a fresh machine with Python 3.11:
#   make run-all   set up, then run every notebook for every dataset
#   make test      set up, then run the tests
# Options: DATASETS=synthetic (comma-separated), QUICK=1 (2 epochs, a smoke test), JOBS=2,
# and the notebook parameters SEED=, EPOCHS=, MODELS=, THRESHOLD=, THREADS=, OPTIONS=, SEEDS=
# (e.g. OPTIONS='{"test_digit": 4}', or per dataset OPTIONS='{"nab": {"file": ...}}');
# empty means the notebooks' defaults. Other settings than the defaults run in build/runs/<dataset>-<fingerprint>/.
# EXACT=0 lets the numeric libraries use this CPU's own code (faster on some CPUs); by default
# (EXACT=1) they are capped at one instruction-set level, so that the same seed gives the same
# figures on any x86-64 CPU with AVX2 (helpers/cpu_level.py).
# BACKEND=jax runs Keras on JAX instead of TensorFlow (run-all and lab); the first such
# command installs JAX (requirements-jax.txt) into .venv.
# Datasets (run-all) and students (grade) run as jobs on a Dask cluster: by default a local
# one of JOBS worker processes; SCHEDULER=tcp://host:8786 names a running one instead
# (helpers/cluster.py).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JAX_STAMP := $(VENV)/.installed-jax
KERNEL := anomaly-kit
DATASETS ?= all
QUICK  ?=
SEED   ?=
EPOCHS ?=
MODELS ?=
THRESHOLD ?=
THREADS ?=
OPTIONS ?=
SEEDS  ?=
JOBS   ?=
SCHEDULER ?=
LAB_ARGS ?=
WORKER_ARGS ?=
SUBMISSIONS ?=
DATASET ?=
CELL_TIMEOUT ?=
TIMEOUT ?=
MEMORY ?=
EXACT  ?= $(or $(ANOMALY_KIT_EXACT),1)
BACKEND ?=
# what BACKEND= needs installed beyond the set-up (nothing for the default, TensorFlow)
BACKEND_SETUP = $(if $(filter jax,$(strip $(BACKEND))),$(JAX_STAMP))

# Every variable that `make run-all` hands to the runner, as VARIABLE:option. Each one
# that is set becomes `--option 'value'` (quoted for the shell, quotes in it included);
# the runner checks them all before any notebook runs.
RUN_VARS := DATASETS:datasets QUICK:quick SEED:seed EPOCHS:epochs MODELS:models \
            THRESHOLD:threshold THREADS:threads OPTIONS:options SEEDS:seeds JOBS:jobs \
            BACKEND:backend SCHEDULER:scheduler
quote    = '$(subst ','\'',$(1))'
args_of  = $(foreach v,$(1),$(if $($(firstword $(subst :, ,$(v)))),--$(lastword $(subst :, ,$(v))) $(call quote,$($(firstword $(subst :, ,$(v)))))))
run_args = $(call args_of,$(RUN_VARS))
# What `make grade` hands to the grader, the same way.
GRADE_VARS := DATASET:dataset QUICK:quick SEED:seed EPOCHS:epochs MODELS:models \
              THRESHOLD:threshold THREADS:threads OPTIONS:options SEEDS:seeds CELL_TIMEOUT:cell-timeout \
              TIMEOUT:timeout MEMORY:memory JOBS:jobs SCHEDULER:scheduler
NO_PYTHON = error: the kit needs Python 3.11, and $(if $(PYTHON),PYTHON=$(PYTHON) is not a program,there is no python3.11 or python3 on the PATH); install Python 3.11 and run make again, or point make at it: make PYTHON=/path/to/python3.11 $(or $(MAKECMDGOALS),run-all)

# Keep TensorFlow's C++ log lines out of outputs (see helpers/reproducibility.py).
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export PYTHONUNBUFFERED := 1
# Every command below that computes starts through helpers.cpu_level, which sets the
# libraries' instruction-set level (or not, for EXACT=0) before they load.
export ANOMALY_KIT_EXACT := $(or $(EXACT),1)
# Keras's backend is BACKEND's, TensorFlow by default (a KERAS_BACKEND of the shell's is not used)
export KERAS_BACKEND := $(or $(strip $(BACKEND)),tensorflow)
AT_LEVEL := $(BIN)/python -m helpers.cpu_level --

.PHONY: help setup run-all test lab data notebooks student grade worker clean distclean

help:
	@echo "make run-all   set up and run every notebook for every dataset (DATASETS=, QUICK=1, JOBS=2,"
	@echo "               SEED=, EPOCHS=, MODELS=, THRESHOLD=, THREADS=, OPTIONS='{...}', SEEDS=3, EXACT=0,"
	@echo "               BACKEND=jax: Keras on JAX, installed on first use; SCHEDULER=tcp://host:8786:"
	@echo "               each dataset a job on that Dask cluster, else on a local one of JOBS workers)"
	@echo "make test      set up and run the tests (pytest + nbval + a quick run of all notebooks)"
	@echo "make lab       open JupyterLab on notebooks/ (LAB_ARGS= adds options, e.g. --no-browser)"
	@echo "make data      fetch the optional larger datasets into data/"
	@echo "make student   write the students' copy (solutions out) to build/student/ and build/student.zip"
	@echo "make grade SUBMISSIONS=folder   grade one folder per student into build/grades/ (DATASET=,"
	@echo "               QUICK=1, CELL_TIMEOUT=600 s, TIMEOUT=3600 s per student, MEMORY=6 GiB per process,"
	@echo "               JOBS=2 students side by side, SCHEDULER=tcp://host:8786 on a Dask cluster)"
	@echo "make worker SCHEDULER=tcp://host:8786   a Dask worker on this machine for that cluster"
	@echo "make notebooks sync notebooks/ with notebooks/src/*.py and re-execute those whose code changed (ALL=1: all)"
	@echo "make clean     remove build/ (results); make distclean also removes .venv/"

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml helpers/kernel.py
	@command -v $(call quote,$(PYTHON)) >/dev/null 2>&1 || { echo $(call quote,$(NO_PYTHON)) >&2; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "error: the kit needs Python 3.11, but $(PYTHON) is %d.%d; run: make PYTHON=/path/to/python3.11 ..." % v)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m helpers.kernel
	@touch $(STAMP)
	@echo "set-up done: $(VENV) with the pinned packages and the '$(KERNEL)' Jupyter kernel"

$(JAX_STAMP): requirements-jax.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-jax.txt -c requirements.txt
	@touch $(JAX_STAMP)
	@echo "installed JAX into $(VENV) for BACKEND=jax"

run-all: setup $(BACKEND_SETUP)
	$(AT_LEVEL) $(BIN)/python -m helpers.runner $(run_args)

# Two streams side by side, since each mostly keeps one core busy: pytest on the helpers'
# tests (grading a class of four submissions among them), and nbval re-executing the
# committed notebooks and comparing their checked outputs, followed by the tests marked
# second_stream (the quick papermill run of every notebook, the toy grading tests). They
# run in build/test/ and build/test-nbval/ (leaving build/runs/ alone); the second
# stream's report follows the first's.
test: setup
	@$(MAKE) --no-print-directory $(JAX_STAMP) || echo "note: JAX could not be installed, so the tests of Keras on JAX are skipped"
	@mkdir -p build
	@( ANOMALY_KIT_BUILD=build/test-nbval $(AT_LEVEL) $(BIN)/python -m pytest notebooks --nbval-lax \
	    --nbval-cell-timeout=600 --durations=5; nbval=$$?; \
	  ANOMALY_KIT_BUILD=build/test-second $(AT_LEVEL) $(BIN)/python -m pytest tests -m second_stream --durations=10; second=$$?; \
	  [ $$nbval -eq 0 ] && [ $$second -eq 0 ] ) > build/nbval.log 2>&1 & other=$$!; \
	ANOMALY_KIT_BUILD=build/test $(AT_LEVEL) $(BIN)/python -m pytest tests -m "not second_stream" --durations=20; tests=$$?; \
	wait $$other; notebooks=$$?; \
	echo; echo "nbval on the committed notebooks (notebooks/*.ipynb), then the tests marked second_stream:"; \
	cat build/nbval.log; \
	if [ $$tests -ne 0 ] || [ $$notebooks -ne 0 ]; then exit 1; fi

# As root (a container), Jupyter refuses to start without --allow-root.
lab: setup $(BACKEND_SETUP)
	$(AT_LEVEL) $(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

data: setup
	$(BIN)/python -m helpers.download

# Maintainers: after editing a notebook (its .ipynb or notebooks/src/*.py), sync the pair
# and execute in place the notebooks whose code changed, and the later ones, so that their
# committed reference outputs are current (see tools/notebooks.py).
notebooks: setup
	$(AT_LEVEL) $(BIN)/python tools/notebooks.py refresh $(if $(filter 1 yes true YES TRUE Yes True,$(ALL)),--all)

# The course: students' copies made by nbgrader, and grading a folder of submissions.
student: setup
	$(BIN)/python -m helpers.course

grade: setup $(BACKEND_SETUP)
	@test -n $(call quote,$(SUBMISSIONS)) || { echo "error: say which folder to grade: make grade SUBMISSIONS=path/to/folder (one folder per student)" >&2; exit 2; }
	$(AT_LEVEL) $(BIN)/python -m helpers.grading $(call quote,$(SUBMISSIONS)) $(call args_of,$(GRADE_VARS))

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)

# A Dask worker of this machine for SCHEDULER's cluster (one job at a time; WORKER_ARGS=
# adds dask worker's options): it starts at the kit's instruction-set level, with BACKEND's
# Keras, so that the trainings notebooks send to the cluster give the same figures.
worker: setup $(BACKEND_SETUP)
	@test -n $(call quote,$(SCHEDULER)) || { echo "error: say which cluster to join: make worker SCHEDULER=tcp://host:8786" >&2; exit 2; }
	$(AT_LEVEL) $(BIN)/dask worker $(call quote,$(SCHEDULER)) --nworkers 1 --nthreads 1 $(WORKER_ARGS)
