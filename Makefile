# Two commands for a fresh machine: `make run` (the app on its embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
# Path without query string, and no Referer: inbox searches (names, emails) stay out of the access log.
ACCESS_LOG_FORMAT := '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss id=%({x-request-id}o)s'

.PHONY: run test check setup setup-test system-packages bench lighthouse translations bytecode lock screenshots
# The lock: every library at the version CI tested, with its hashes (pip-tools). `make lock` refreshes it
# after a change to pyproject.toml (PIP_COMPILE_ARGS=--upgrade moves every pin to the newest allowed);
# tests/test_lock.py fails while the two disagree.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Exactly the lock, then the app itself without dependencies (its build compiles the catalogue, setup.py).
# pip runs again only when the lock, pyproject.toml or setup.py is newer than the last install (a stamp file
# in .venv); each run still compiles the catalogue and the bytecode.
setup: $(VENV)/.installed
	$(MAKE) translations bytecode

$(VENV)/.installed: requirements.txt pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# The Spanish catalogue is compiled from its .po on every setup, never committed as a .mo.
translations:
	$(BIN)/pybabel compile --statistics -d booking/translations

setup-test: $(VENV)/.installed-test system-packages
	$(MAKE) translations bytecode

$(VENV)/.installed-test: requirements-test.txt pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) --extra postgres -o requirements.txt pyproject.toml
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) --extra postgres --extra test -o requirements-test.txt pyproject.toml

# pip compiles the libraries it installs, not this editable checkout. Where PYTHONDONTWRITEBYTECODE is set
# (as on this project's machines), every worker, flask command and test server would compile the app again
# at start: about 0.4 s each. Stale files are never used: Python checks each source's mtime.
bytecode:
	$(BIN)/python -m compileall -q booking bench config.py

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work here);
# database tests start a real PostgreSQL server from its binaries, rate-limit tests a real redis-server;
# the benchmark drives the servers with wrk.
system-packages:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# The embedded defaults, placeholder secret included, run only when development is said out loud.
# Links in emails follow the port: PUBLIC_BASE_URL is http://127.0.0.1:$PORT unless it is set.
run: export BOOKING_ENV ?= development
run: PORT ?= 5000
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(BIN)/flask --app booking db upgrade
	@# A fresh machine shows bookable times: development seeds "Demo therapist" when there is no practitioner.
	[ "$${BOOKING_ENV:-development}" != development ] || $(BIN)/flask --app booking seed-demo
	PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)' $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --threads 4 --access-logfile - \
		--access-logformat $(ACCESS_LOG_FORMAT) 'booking:create_app()'

# Everything, as CI runs it (.ci/run), on every core: pytest-xdist, each test file kept on one worker so
# its module fixtures start once, the files in the order tests/conftest.py gives (the longest first).
# The tests share no port, folder or database (tests/fixtures/).
# Three workers on two cores: much of the suite waits on other processes (servers starting, Chromium, SMTP,
# PostgreSQL), so a third worker keeps both cores busy.
PYTEST_WORKERS ?= 3
PYTEST_XDIST := --dist loadfile --no-loadscope-reorder
# pytest rewrites each test module's asserts and keeps the result as bytecode in tests/__pycache__, unless
# PYTHONDONTWRITEBYTECODE is set (as on this project's machines): then every run, on every worker, rewrites
# and compiles all of tests/ again, about 4 s. An empty value lets it keep them (git ignores them).
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest
test: setup-test
	$(PYTEST) -n $(PYTEST_WORKERS) $(PYTEST_XDIST)

# The everyday quick run: every test that starts no other process (no browser, PostgreSQL, redis, gunicorn,
# flask command or wrk); tests/conftest.py marks the others `slow`. They only compute: one worker per core,
# handed out test by test (--dist load), as they share no costly module fixture: the two cores finish
# together, where whole files left one core idle for the last ~8 s.
CHECK_WORKERS ?= 2
check: setup-test
	$(PYTEST) -n $(CHECK_WORKERS) --dist load -m "not slow"

# bench/run: the app against a bare Flask hello world under the same gunicorn settings, driven by wrk,
# on SQLite and on PostgreSQL, beside bench/floor.py (only what the rules require), ending with one table
# of both and the goals; then the patient-path measurements.
bench: setup-test
	$(BIN)/python bench/run --floor
	$(BIN)/python tests/benchmarks/bench_patient_path.py

lighthouse: setup-test
	npm install --silent --prefix .cache/lighthouse lighthouse@12
	$(BIN)/python tests/benchmarks/lighthouse_scores.py

# The main pages at 390 and 1280 px, full length, into screenshots/ (git-ignored): a minute's look at every page.
screenshots: setup-test
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/screenshots/shoot_pages.py
	@echo "Screenshots in $${SCREENSHOTS_DIR:-screenshots}/"
