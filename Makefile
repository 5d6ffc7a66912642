# Two commands: `make run` (the app on SQLite with demo data) and `make test` (every suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
CHECKOV := .venv-checkov/bin/checkov

FRONTEND_DEPS := frontend/node_modules/.package-lock.json
AZURITE := devkit/azurite/node_modules/.package-lock.json
FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)

.PHONY: run test setup lint unit venv tools system clean bench chaos frontend frontend-unit e2e azurite

# Debian packages the project uses: unixODBC (pyodbc's driver manager). Installed only when missing.
system:
	@if ! ldconfig -p | grep -q 'libodbc.so.2'; then \
		echo "installing unixodbc (needed by pyodbc)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unixodbc >/dev/null; \
	fi

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*; touch $@

venv: system $(STAMP)

$(CHECKOV): infra/requirements-checkov.txt
	test -x .venv-checkov/bin/python || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements-checkov.txt
	touch $@

tools: venv $(wildcard infra/requirements-checkov.txt)
	@if [ -f infra/requirements-checkov.txt ]; then $(MAKE) --no-print-directory $(CHECKOV); fi

# Azurite (Blob + Queue emulator, npm, pinned by devkit/azurite/package-lock.json): media storage locally
$(AZURITE): devkit/azurite/package-lock.json
	cd devkit/azurite && npm ci --no-audit --no-fund --loglevel=error
	touch $@

azurite: $(AZURITE)

setup: venv azurite  ## create or migrate the database, load demo data into an empty one
	$(BIN)/python -m localrunner setup

run: setup frontend  ## serve the function app and the demo page on 127.0.0.1:$${PORT:-7071}
	$(BIN)/python -m localrunner serve

$(FRONTEND_DEPS): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/dist/index.html: $(FRONTEND_DEPS) $(FRONTEND_SOURCES)
	cd frontend && npm run build --silent

frontend: frontend/dist/index.html  ## the WhatsApp panel's demo page, served by the runner at /

frontend-unit: $(FRONTEND_DEPS)  ## Vitest + Testing Library
	cd frontend && npm test --silent

e2e: setup frontend  ## Playwright driving Debian's Chromium against the local runner (installs Chromium if missing)
	cd frontend && npm run e2e --silent

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: venv azurite
	$(BIN)/python -m pytest

test: setup tools lint frontend-unit e2e unit  ## everything CI runs (pytest last: its summary closes the run)

bench: venv azurite  ## every benchmark; figures in bench/results/latest.{json,md}
	$(BIN)/python -m bench

chaos: venv azurite  ## 50,000 events against injected database faults; checks the invariants and prints the counts
	$(BIN)/python -m bench.chaos
	$(BIN)/python -m bench.chaos_media

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
