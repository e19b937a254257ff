# Two commands on a fresh machine: `make run` and `make test`. Everything else follows.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG ?= examples/feeds.toml

.PHONY: help install run test lint types pytest bench clean

help:
	@echo "make run    serve the example newsroom at http://127.0.0.1:8000 (SQLite, aggregator included)"
	@echo "make test   ruff, import-linter, mypy --strict and pytest (PostgreSQL tests skip if no server answers)"
	@echo "make bench  benchmarks; results go to docs/benchmarks.md"

$(STAMP): pyproject.toml tests/js/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# axe-core for the browser tests (tests/browser.py); they skip, saying so, without npm.
	@if command -v npm >/dev/null; then npm ci --prefix tests/js --no-audit --no-fund --silent; \
	else echo "npm is missing (apt-get install npm): the accessibility checks will be skipped"; fi
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/feeds db upgrade --config $(CONFIG)
	$(BIN)/feeds import examples/articles --config $(CONFIG)
	$(BIN)/feeds serve --config $(CONFIG)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

types: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q --durations=20

test: lint types pytest

bench: install
	@command -v wrk >/dev/null || echo "wrk is missing (apt-get install wrk): the HTTP part of bench/serve.py is skipped"
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/aggregate.py
	$(BIN)/python bench/news.py
	$(BIN)/python bench/scaleout.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var artifacts tests/js/node_modules .pytest_cache .mypy_cache .ruff_cache
