# madoguchi: `make demo` runs the bot locally against the LINE emulator; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: install test-deps demo test lint format bench bench-load eval clean

# The demo needs only the Japanese font (the rich menu image); PostgreSQL and Chromium are for the tests.
$(STAMP): pyproject.toml
	bash .ci/install-system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

test-deps:
	bash .ci/install-system-deps test
	bash .ci/install-browser

demo: install
	$(BIN)/madoguchi demo --port $(PORT)

# Every test on the embedded SQLite, then every test that uses the database again on a throwaway PostgreSQL 15
# cluster on loopback (the others would only repeat the first pass: see tests/conftest.py).
test: install test-deps
	$(BIN)/ruff check .
	MADOGUCHI_FORBID_SKIPS=1 $(BIN)/pytest
	MADOGUCHI_FORBID_SKIPS=1 MADOGUCHI_TEST_DATABASE=postgresql MADOGUCHI_ONLY_DATABASE_TESTS=1 $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

eval: install
	$(BIN)/madoguchi eval

bench: install
	$(BIN)/python -m tests.bench

# gunicorn + PostgreSQL under rising open-loop load, beside a bare echo bot on the same stack (≈ 8–9 minutes).
bench-load: install test-deps
	$(BIN)/python -m tests.bench.load

clean:
	rm -rf $(VENV) var build *.egg-info
