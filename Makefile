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

.PHONY: help venv node generate drift lint typecheck verifytypes test pytest demo bench clean
.PHONY: generate-py ts-node ts-generate ts-drift ts-test dist-ts
.PHONY: compat release release-check release-snapshot dist

help:
	@echo "make demo       run the whole workflow against the local emulator"
	@echo "make test       drift check, lint, mypy --strict, pytest (what CI runs)"
	@echo "make generate   regenerate generated/ (cakework_api, cakework_spec), the sync edge (_sync) and the TypeScript types"
	@echo "make lint       openapi-spec-validator, Redocly, Spectral, ruff, import-linter (layers)"
	@echo "make typecheck  mypy --strict on overlays/, tests/, scripts/, bench/, examples/ and generated/;"
	@echo "                pyright --verifytypes cakework: fails below 100 % type completeness"
	@echo "make verifytypes  that pyright check alone (the venv's python resolves the imports)"
	@echo "make bench      benchmarks against their goals, one table (ratios measured side by side)"
	@echo "make ts-test    TypeScript client: tsc --strict, node --test against the emulator"
	@echo "make dist-ts    pack clients/typescript as an npm tarball into dist/"
	@echo "make compat     classify spec changes since the latest release (BASE=file|ref|version)"
	@echo "make release VERSION=x.y.z  bump every version, write and date the changelog, snapshot, check"
	@echo "make release-check    versions, bump, changelog, snapshot and drift agree"
	@echo "make release-snapshot copy openapi.yaml to releases/<version>/"
	@echo "make dist       wheel, sdist, bundled spec, HTML and Python API references in dist/"

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

generate: generate-py ts-generate

generate-py: $(VENV_STAMP)
	$(PY) scripts/generate.py
	$(PY) scripts/unasync.py

drift: $(VENV_STAMP) ts-drift
	$(PY) scripts/generate.py --check
	$(PY) scripts/unasync.py --check

lint: $(VENV_STAMP) $(NODE_STAMP)
	$(BIN)/openapi-spec-validator openapi.yaml
	npx --no-install redocly lint openapi.yaml --format=stylish
	npx --no-install spectral lint openapi.yaml --fail-severity=hint
	$(BIN)/openapi-spec-validator emulator.yaml
	npx --no-install redocly lint emulator.yaml --format=stylish
	npx --no-install spectral lint emulator.yaml --fail-severity=hint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV_STAMP) $(NODE_STAMP) verifytypes
	$(BIN)/mypy --strict overlays/cakework tests scripts bench $(wildcard examples)
	$(BIN)/mypy --strict generated/cakework_api
	$(BIN)/mypy --strict generated/cakework_spec

# The public API's type completeness as users' type checkers see it: pyright (pinned in
# package.json) must find every exported symbol fully typed, or it exits 1 (types of httpx,
# msgspec and pytest are theirs: --ignoreexternal). --verifytypes takes no --pythonpath,
# --venvpath or config file (its import resolver starts from empty options) and resolves
# imports through the first `python3` on PATH, so the venv's bin goes first: without it
# msgspec.Struct, httpx.Client and every base class from the venv read as unknown.
# PYTHONPATH checks this checkout's sources whatever the venv's editable .pth names.
verifytypes: $(VENV_STAMP) $(NODE_STAMP)
	PATH="$(abspath $(BIN)):$$PATH" PYTHONPATH=overlays:generated \
		npx --no-install pyright --verifytypes cakework --ignoreexternal

# One worker per core, at most 4 (each starts its own emulators and subprocesses);
# worksteal evens out the few long tests (builds, installs, the browser). Override with
# `make pytest PYTEST_WORKERS=0` for a single process.
PYTEST_WORKERS ?= auto
pytest: $(VENV_STAMP) $(NODE_STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --maxprocesses=4 --dist worksteal

test: drift lint typecheck pytest ts-test

demo: $(VENV_STAMP) generate-py
	$(PY) scripts/demo.py

bench: $(VENV_STAMP)
	$(PY) -m bench

# ---- TypeScript client (clients/typescript: its own package.json and lock file) ----------
TS_DIR := clients/typescript
TS_STAMP := $(TS_DIR)/node_modules/.stamp-deps

ts-node: $(TS_STAMP)
$(TS_STAMP): $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	cd $(TS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Types from openapi.yaml and emulator.yaml (openapi-typescript, pinned), whole-file drift check.
ts-generate: $(TS_STAMP)
	cd $(TS_DIR) && node scripts/generate.mjs

ts-drift: $(TS_STAMP)
	cd $(TS_DIR) && node scripts/generate.mjs --check

# tsc --strict over src/ and test/, then node --test; the tests start the emulator from .venv.
ts-test: $(TS_STAMP) $(VENV_STAMP)
	cd $(TS_DIR) && npm test --silent

# The npm tarball (cakework-client-<version>.tgz), next to the wheel in dist/.
dist-ts: $(TS_STAMP)
	mkdir -p dist
	cd $(TS_DIR) && npm pack --silent --pack-destination ../../dist

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache dist
	rm -rf $(TS_DIR)/node_modules $(TS_DIR)/build $(TS_DIR)/dist

# Releasing: see README "Releasing". BASE is a release version, a file or a git ref.
# compat and release compare the generated clients' public names, so they need both
# generators: the venv's openapi-python-client and clients/typescript's openapi-typescript.
BASE ?=
ARGS ?=
VERSION ?=
compat: $(VENV_STAMP) $(TS_STAMP)
	$(PY) scripts/compat.py --base "$(BASE)" $(ARGS)

release: $(VENV_STAMP) $(TS_STAMP)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z (make compat names it)"; exit 2; }
	$(PY) scripts/release.py release "$(VERSION)"

release-check: $(VENV_STAMP) $(TS_STAMP)
	$(PY) scripts/release.py check

release-snapshot: $(VENV_STAMP) $(TS_STAMP)
	$(PY) scripts/release.py snapshot

dist: $(VENV_STAMP) $(NODE_STAMP)
	$(PY) scripts/dist.py
	@if [ -f clients/typescript/package.json ]; then $(MAKE) dist-ts; fi
