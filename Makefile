# b2m-explorer: two commands on a fresh machine — `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Offline by design: never let a Hugging Face client wait on the network.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MPLBACKEND := Agg

.PHONY: help install demo test test-fast lint format lab clean

help:
	@echo "make demo   - set up .venv, build the simulated study, run the notebooks, print headline numbers"
	@echo "make test   - the whole test suite (notebooks included)"
	@echo "make lab    - open JupyterLab on notebooks/00_quickstart.ipynb"
	@echo "make lint   - ruff check and format check"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# torch is optional for users (extra [torch]); the dev set-up installs it for the torch paths of
# the ridge engine and the benchmark peers. Pin the CPU build that these machines keep on disk:
# a bare `torch` would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0

# Re-install when the project's requirements change.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (b2m)" >/dev/null
	@touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/python -m b2m.demo --out build/demo

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: install
	$(BIN)/jupyter lab notebooks/00_quickstart.ipynb

clean:
	rm -rf build .pytest_cache
