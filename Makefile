# The two commands (CONTRACT §1). Variables of CONTRACT §2 come from the caller's
# environment; bin/run only fills in the ones the caller left unset.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast lint format bench venv venv-dev clean

$(PY):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)

venv: $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt

venv-dev: venv
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt

run: venv
	bin/run

# The suite in two processes or more (pytest-xdist; each has its own PostgreSQL): most of its
# time is spent waiting on real workers, servers and the browser. The slowest tests are listed
# at the end, to keep CI's time in view.
test: venv-dev lint
	$(PY) -m pytest -n auto --maxprocesses 4 --durations 15

# The suite without what waits on workers, servers, the browser or the clock, and without the
# long fuzzing runs (marked `slow`), on SQLite: for the edit-test loop. `make test` runs everything.
test-fast: venv-dev
	POSTPAY_TEST_DB=sqlite $(PY) -m pytest -n auto --maxprocesses 4 -m "not slow" -q

# One formatter and linter (ruff) and the import contracts (import-linter, pyproject.toml):
# services, selectors and payloads never import an API, admin or portal module.
lint: venv-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

format: venv-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv-dev
	$(PY) bench/run_all.py

clean:
	rm -rf var
