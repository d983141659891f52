# Passerelle — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install browser run test lint format typecheck check bench load clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## virtualenv with the app and the test tools

browser:  ## Debian's chromium for the browser tests (never a downloaded browser)
	scripts/install-browser

run: install  ## set up, migrate, load the demo and serve on http://127.0.0.1:5000
	$(BIN)/passerelle db upgrade
	$(BIN)/passerelle demo
	@echo
	@echo "Passerelle : http://$(HOST):$(PORT)/  (connexion : http://$(HOST):$(PORT)/login)"
	$(BIN)/passerelle run --host $(HOST) --port $(PORT)

test: install browser  ## the whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set
	scripts/run-tests

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

bench: install  ## every benchmark of bench/, one table
	$(BIN)/python -m bench

load: install  ## load test (gunicorn + PostgreSQL + locust, growing concurrency); writes bench/REPORT.md
	$(BIN)/python -m pip install --quiet -e '.[load]'
	$(BIN)/python -m bench.load.run

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache test-artifacts
