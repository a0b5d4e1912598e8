# The two commands a newcomer needs: `make demo` and `make test`. Each creates .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck check serve clean browsers

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Build the demo organization (first run only) and serve it on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/crewline demo

## Run the whole test suite (SQLite unless CREWLINE_TEST_DATABASE_URL names PostgreSQL)
test: $(STAMP)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

LINTED := src tests scripts $(wildcard bench)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

serve: $(STAMP)
	$(BIN)/crewline serve

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
