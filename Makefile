# Procura: `make run` installs everything and starts Procura with demo data; `make test` runs every test.
# Needs Python 3.11+, Node.js with npm, and make. Everything else is installed into .venv and node_modules.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
ADDON_DIRS := suppliers_addon contracts_addon helpdesk_addon courier_addon kb_addon portal_addon
STAMP := $(VENV)/.procura-installed
# The first interpreter that is Python 3.11 or newer and actually runs (pyenv shims of versions that
# are not selected fail the check and are skipped).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3 python; do \
  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; \
  then echo $$p; break; fi; done)

.PHONY: run test install lint bench i18n clean help

help:
	@echo "make run    install everything, load demo data, start Procura at http://127.0.0.1:6543"
	@echo "make test   install everything and run the whole test suite (lint included)"
	@echo "make bench  run the benchmarks in tests/bench and print their figures"
	@echo "make i18n   extract messages into the .po catalogues and compile them"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Procura needs Python 3.11 or newer, and none was found (tried python3.13, python3.12, python3.11, python3)."; \
	  echo "Install one (e.g. apt-get install python3.11 python3.11-venv) or run: make PYTHON=/path/to/python3.x"; \
	  exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools<81" wheel

$(STAMP): $(BIN)/python setup.py constraints.txt $(addsuffix /setup.py,$(ADDON_DIRS))
	$(BIN)/pip install --quiet --no-build-isolation -c constraints.txt -e ".[test]" $(addprefix -e ./,$(ADDON_DIRS))
	@touch $@

node_modules/.procura-installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Procura needs Node.js with npm to install its JavaScript libraries; install them and run make again."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(STAMP) node_modules/.procura-installed

run: install
	$(BIN)/procura init
	$(BIN)/procura demo
	@echo ""
	@echo "Procura: http://127.0.0.1:6543/  (demo sign-ins above; Ctrl+C stops it)"
	$(BIN)/procura serve

test: install
	$(BIN)/ruff check core themes tests $(ADDON_DIRS)
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m pytest tests/bench -s -q -p no:randomly

i18n: install
	$(BIN)/python tools/i18n.py

clean:
	rm -rf $(VENV) node_modules var
