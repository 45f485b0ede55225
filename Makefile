# reelserve: `make run` starts the server, `make test` runs every check. Both install what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PIP     = $(BIN)/python -m pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
DATA   ?= data
PYTEST_ARGS ?= -n 2

.PHONY: run install install-dev system-deps test pytest lint fmt typecheck contracts bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml client/pyproject.toml
	$(PIP) install --quiet -e . -e client
	touch $@

# CPU torch first: this exact version resolves to a CPU build; an open range pulls CUDA wheels.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet "torch==2.13.0"
	$(PIP) install --quiet -e ".[dev,diffusion,s3,ray]" -e client
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/reelserve serve --host $(HOST) --port $(PORT) --data-dir $(DATA)

lint: install-dev
	$(BIN)/ruff check src client tests benchmarks
	$(BIN)/ruff format --check src client tests benchmarks

fmt: install-dev
	$(BIN)/ruff format src client tests benchmarks
	$(BIN)/ruff check --fix src client tests benchmarks

typecheck: install-dev
	$(BIN)/mypy src/reelserve client/src/reelserve_client

contracts: install-dev
	$(BIN)/lint-imports

# Debian packages the tests use: Chromium for the studio's browser test, ffmpeg for the benchmarks,
# PostgreSQL's server for the contract suites (tests start their own throwaway server).
SYSTEM_PACKAGES = chromium chromium-driver ffmpeg postgresql wrk
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v ffmpeg >/dev/null || ! command -v wrk >/dev/null \
		|| ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null) \
		|| echo "warning: could not apt-get $(SYSTEM_PACKAGES)"; \
	fi
	@if [ ! -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null) \
		|| echo "warning: could not apt-get fonts-wqy-zenhei; Chinese captions draw boxes, their test is skipped"; \
	fi

pytest: install-dev system-deps
	HF_HUB_OFFLINE=1 $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck contracts pytest

bench: install-dev
	$(BIN)/python benchmarks/api_load.py
	$(BIN)/python benchmarks/preview_vs_ffmpeg.py
	$(BIN)/python benchmarks/queue.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
