# Meridian — every routine task. The virtualenv lives in .venv, locust's in .venv-load.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOAD_VENV := .venv-load
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
PLOTLY_BUNDLE := vendor/plotly/plotly-meridian.min.js
BIND ?= 127.0.0.1:8050
PYTEST_ARGS ?=
# make load: locust's profile, users, duration and thresholds (overridable: make load USERS=200 PROFILE=AnalystUser)
PROFILE ?= StressTestUser
USERS ?= 50
DURATION ?= 60s
LOAD_ARGS ?=

# The PostgreSQL server of the tests: the database tests' PostgreSQL runs, and the tests of PostgreSQL itself
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export TEST_POSTGRES_URL
# make test: most tests in parallel processes (pytest-xdist) - the database tests once on SQLite and once
# on PostgreSQL among them - then those marked "serial" alone (load and timing under load); each run
# writes a JUnit report to test-results/ (.ci/slowest.py reads them)
PYTEST_WORKERS ?= 3
# Python writes its byte code (where the machine's environment says not to): pytest rewrites every test
# module's asserts, and each of a run's processes (xdist's workers, gunicorn's, Celery's) would redo it
unexport PYTHONDONTWRITEBYTECODE
RESULTS := test-results
# pytest, where "no test selected" (exit code 5, e.g. with -k) is not a failure
PYTEST = status=0; $(PY) -m pytest $(1) $(PYTEST_ARGS) || status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status

.PHONY: python-check setup run test test-postgres test-fast bench bench-browser load lint format migrate seed seed-large clean help

help:
	@echo "make run    - set up (idempotent), then serve on http://$(BIND)"
	@echo "make test   - set up, then run the whole test suite"
	@echo "make test-postgres - only the database tests' runs on PostgreSQL (TEST_POSTGRES_URL; make test runs them too)"
	@echo "make bench  - set up, then run the benchmarks and print their figures"
	@echo "make bench-browser - every page in headless Chromium and Lighthouse (bytes, LCP, CLS, TBT, score)"
	@echo "make load   - gunicorn + Redis + Celery under locust (PROFILE, USERS, DURATION, LOAD_ARGS), then a summary"
	@echo "make lint   - ruff lint and format check"

# Python 3.11 is what the requirements are pinned and tested for: said at once, not after a failed install.
IS_311 := import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)
python-check:
	@if [ -x $(PY) ]; then \
		$(PY) -c '$(IS_311)' || { echo "meridian: $(VENV) runs $$($(PY) --version 2>&1), not Python 3.11: remove $(VENV) and $(LOAD_VENV), then make setup PYTHON=python3.11" >&2; exit 1; }; \
	else \
		$(PYTHON) -c '$(IS_311)' 2>/dev/null || { found=$$($(PYTHON) --version 2>/dev/null) || found="not installed"; echo "meridian: Python 3.11 is needed; $(PYTHON) is $$found. Install it, or name it: make setup PYTHON=python3.11" >&2; exit 1; }; \
	fi

setup: python-check $(VENV)/.stamp-deps $(LOAD_VENV)/.stamp-deps node_modules/.stamp assets/00-bootstrap.min.css assets/01-web-vitals.js $(PLOTLY_BUNDLE)
	@$(PY) -m meridian setup

# The installer: uv (PyPI, pinned) in the app's virtualenv. It installs both environments' pinned packages
# (the same versions as pip would: the constraints files) byte-compiled, as pip does, in a third of the time.
$(UV): | python-check
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.stamp-deps: requirements.txt constraints.txt | $(UV)
	$(UV) pip install --python $(PY) --compile-bytecode --quiet -r requirements.txt -c constraints.txt
	@touch $@

$(LOAD_VENV)/.stamp-deps: requirements-load.txt constraints-load.txt | $(UV)
	@test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(UV) pip install --python $(LOAD_VENV)/bin/python --compile-bytecode --quiet -r requirements-load.txt -c constraints-load.txt
	@touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Google's web-vitals (attribution build), as published; assets/meridian.js reports with it.
assets/01-web-vitals.js: node_modules/.stamp
	cp node_modules/web-vitals/dist/web-vitals.attribution.iife.js $@

# The partial plotly.js (the trace types we draw), built from the pinned plotly.js source and
# precompressed; served where dcc.Graph fetches plotly.js (dashboard/delivery.py).
$(PLOTLY_BUNDLE): node_modules/.stamp frontend/plotly-meridian.js frontend/build.mjs
	node frontend/build.mjs

# The Bootstrap theme is served from our own assets: nothing is fetched from a CDN.
assets/00-bootstrap.min.css: node_modules/.stamp
	cp node_modules/bootswatch/dist/cerulean/bootstrap.min.css $@

run: setup
	$(VENV)/bin/gunicorn --config gunicorn.conf.py --bind $(BIND) app:server

test: setup
	$(VENV)/bin/ruff check .
	@mkdir -p $(RESULTS)
	$(call PYTEST,-m "not serial" -n $(PYTEST_WORKERS) --junitxml=$(RESULTS)/sqlite.xml)
	$(call PYTEST,-m serial --junitxml=$(RESULTS)/sqlite-serial.xml)

# the database tests' PostgreSQL runs alone (make test runs them too)
test-postgres: setup
	@mkdir -p $(RESULTS)
	$(call PYTEST,-m database -n $(PYTEST_WORKERS) --junitxml=$(RESULTS)/postgres.xml)

test-fast: setup
	$(PY) -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

bench: setup
	$(PY) -m benchmarks

bench-browser: setup
	$(PY) -m benchmarks browser

load: setup
	$(PY) -m loadtest.run --profile $(PROFILE) --users $(USERS) --duration $(DURATION) $(LOAD_ARGS)

lint: $(VENV)/.stamp-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.stamp-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(VENV)/.stamp-deps
	$(PY) -m meridian migrate

seed: $(VENV)/.stamp-deps
	$(PY) -m meridian seed

seed-large: $(VENV)/.stamp-deps
	$(PY) -m meridian seed --large --reset

clean:
	rm -rf $(VENV) $(LOAD_VENV) node_modules vendor assets/00-bootstrap.min.css assets/01-web-vitals.js .pytest_cache .ruff_cache $(RESULTS)
