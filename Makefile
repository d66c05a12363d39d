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

test: venv-dev
	$(PY) -m pytest

bench: venv-dev
	$(PY) bench/run_all.py

clean:
	rm -rf var
