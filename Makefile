# The two commands (CONTRACT §1). Variables of CONTRACT §2 come from the caller's
# environment; bin/run only fills in the ones the caller left unset.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench venv venv-dev clean

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
test: venv-dev
	$(PY) -m pytest -n auto --maxprocesses 4 --durations 15

bench: venv-dev
	$(PY) bench/run_all.py

clean:
	rm -rf var
