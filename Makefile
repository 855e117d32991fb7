# Two commands on a fresh machine with Python 3.11:
#   make run-all   set up, then run every notebook for every dataset
#   make test      set up, then run the tests
# Options: DATASETS=synthetic (comma-separated), QUICK=1 (2 epochs, a smoke test).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := anomaly-kit
DATASETS ?= all
QUICK  ?=

# Keep TensorFlow's C++ log lines out of outputs (see helpers/reproducibility.py).
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export PYTHONUNBUFFERED := 1

.PHONY: help setup run-all test lab data notebooks clean distclean

help:
	@echo "make run-all   set up and run every notebook for every dataset (DATASETS=, QUICK=1)"
	@echo "make test      set up and run the tests (pytest + nbval + a quick run of all notebooks)"
	@echo "make lab       open JupyterLab on notebooks/"
	@echo "make data      fetch the optional larger datasets into data/"
	@echo "make notebooks sync notebooks/ with notebooks/src/*.py and re-execute those whose code changed (ALL=1: all)"
	@echo "make clean     remove build/ (results); make distclean also removes .venv/"

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml helpers/kernel.py
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "error: the kit needs Python 3.11, but $(PYTHON) is %d.%d; run: make PYTHON=/path/to/python3.11 ..." % v)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m helpers.kernel
	@touch $(STAMP)
	@echo "set-up done: $(VENV) with the pinned packages and the '$(KERNEL)' Jupyter kernel"

run-all: setup
	$(BIN)/python -m helpers.runner --datasets $(DATASETS) $(if $(QUICK),--quick) $(if $(JOBS),--jobs $(JOBS))

# pytest runs the helpers' tests, a quick papermill run of every notebook, and nbval
# on the committed notebooks (in build/test/, leaving build/runs/ alone).
test: setup
	ANOMALY_KIT_BUILD=build/test $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-cell-timeout=600

lab: setup
	$(BIN)/jupyter lab notebooks

data: setup
	$(BIN)/python -m helpers.download

# Maintainers: after editing a notebook (its .ipynb or notebooks/src/*.py), sync the pair
# and execute in place the notebooks whose code changed, and the later ones, so that their
# committed reference outputs are current (see tools/notebooks.py).
notebooks: setup
	$(BIN)/python tools/notebooks.py refresh $(if $(ALL),--all)

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)
