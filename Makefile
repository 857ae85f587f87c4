# Two commands for a fresh machine: `make run` (the app on its embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium

.PHONY: run test setup setup-test chromium bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-test: $(BIN)/python chromium
	$(BIN)/pip install --quiet -e '.[test]'

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work here.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

run: setup
	$(BIN)/flask --app booking db upgrade
	$(BIN)/flask --app booking run --host 127.0.0.1 --port $${PORT:-5000}

test: setup-test
	$(BIN)/python -m pytest

bench: setup-test
	$(BIN)/python tests/benchmarks/bench_patient_path.py
