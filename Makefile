# b2m-explorer: two commands on a fresh machine — `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Offline by design: never let a Hugging Face client wait on the network.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: help install chromium demo test test-fast test-browser lint format lab clean

help:
	@echo "make demo   - set up .venv, build the simulated study, run the notebooks, print headline numbers"
	@echo "make test   - the whole test suite (notebooks and the browser test included)"
	@echo "make test-browser - only the browser test (JupyterLab in Debian's Chromium)"
	@echo "make lab    - open JupyterLab on notebooks/00_quickstart.ipynb"
	@echo "make lint   - ruff check and format check"
	@echo "make music  - fetch real, freely licensed recordings from Debian packages (~400 MB)"

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

install: $(VENV)/.installed chromium

# The browser test drives Debian's Chromium through Playwright (never a Playwright browser
# download). Install it when missing and we can (root with apt-get); otherwise say how.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser test"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	else \
		echo "NOTE: no Chromium at $(CHROMIUM); the browser test (part of make test) will fail."; \
		echo "      Install it: sudo apt-get install -y --no-install-recommends chromium"; \
		echo "      or skip it: $(BIN)/python -m pytest -m 'not browser'"; \
	fi

include music.mk

demo: install music
	$(BIN)/python -m b2m.demo --out build/demo

test: install music
	$(MUSIC_TEST_ENV) $(BIN)/python -m pytest --durations=25

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser and not realmusic"

test-browser: install
	$(BIN)/python -m pytest -m browser tests/browser

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
