# Every target bootstraps what it needs (.venv, node_modules) itself, idempotently.
# Quick start: `make demo` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
VENV_STAMP := $(VENV)/.stamp-deps
NODE_STAMP := node_modules/.stamp-deps
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv node generate drift lint typecheck test pytest demo bench clean

help:
	@echo "make demo       run the whole workflow against the local emulator"
	@echo "make test       drift check, lint, mypy --strict, pytest (what CI runs)"
	@echo "make generate   regenerate generated/cakework_api and the sync edge (_sync)"
	@echo "make lint       openapi-spec-validator, Redocly, Spectral, ruff"
	@echo "make typecheck  mypy --strict on overlays/, tests/, examples/ and generated/"
	@echo "make bench      benchmarks (ratios measured side by side)"

venv: $(VENV_STAMP)
$(VENV_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node: $(NODE_STAMP)
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

generate: $(VENV_STAMP)
	$(PY) scripts/generate.py
	$(PY) scripts/unasync.py

drift: $(VENV_STAMP)
	$(PY) scripts/generate.py --check
	$(PY) scripts/unasync.py --check

lint: $(VENV_STAMP) $(NODE_STAMP)
	$(BIN)/openapi-spec-validator openapi.yaml
	npx --no-install redocly lint openapi.yaml --format=stylish
	npx --no-install spectral lint openapi.yaml --fail-severity=hint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV_STAMP)
	$(BIN)/mypy --strict overlays/cakework tests scripts $(wildcard examples)
	$(BIN)/mypy --strict generated/cakework_api

pytest: $(VENV_STAMP) $(NODE_STAMP)
	$(BIN)/pytest

test: drift lint typecheck pytest

demo: $(VENV_STAMP) generate
	$(PY) scripts/demo.py

bench: $(VENV_STAMP)
	$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache dist
