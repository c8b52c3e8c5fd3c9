# motcua — `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Links printed in QR codes, PDFs and messages (core/links.py); a real office sets its own.
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
# The demo office: published logins (password motcua-demo) over plain http on loopback. A real
# office runs `motcua serve` with its own environment instead (README, "Running for real").
export MOTCUA_DEMO ?= 1
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.package-lock.json

.DEFAULT_GOAL := help
.PHONY: help setup install migrate seed run serve worker test test-fast test-browser lint typecheck check bench clean

help: ## List every target
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 not found as $(PYTHON); try: make PYTHON=python3 ..."; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js 20+ (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP) ## Create .venv and install everything from PyPI and the npm registry

migrate: install ## Create or update the database (SQLite under var/ unless DATABASE_URL is set)
	$(BIN)/motcua migrate --noinput

seed: migrate ## Load the demo office (idempotent)
	$(BIN)/motcua seed-demo

setup: seed ## Everything but serving: install, migrate, demo data, static files
	$(BIN)/motcua collectstatic --noinput -v 0

run: setup ## Set up and serve the whole office on http://127.0.0.1:$(PORT) (plus the job worker)
	PORT=$(PORT) $(BIN)/motcua serve

serve: ## Serve without setting up again
	PORT=$(PORT) $(BIN)/motcua serve

worker: install ## Run the background-job worker alone (Huey)
	$(BIN)/motcua run_huey

test: install ## Run the whole test suite (browser tests skip with a reason when Chromium is missing)
	$(BIN)/pytest -n 2 --dist loadgroup -q

test-fast: install ## Tests without browser and real-model tests
	$(BIN)/pytest -q -m "not browser and not slow"

lint: install ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install ## mypy with django-stubs
	$(BIN)/mypy src

check: lint typecheck ## Lint, types, pending migrations
	$(BIN)/motcua makemigrations --check --dry-run

bench: install ## Run every benchmark (long: seeds 1M dossiers on PostgreSQL; see bench/README.md)
	$(BIN)/python bench/faces.py
	$(BIN)/python bench/queue.py
	$(BIN)/python bench/dossiers.py
	$(BIN)/python bench/portal.py --dossiers 1000000

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var node_modules
