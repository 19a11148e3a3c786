# Everything a user types. `make demo` on a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EVENTS ?= 200000
DAYS   ?= 60

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_HOME ?= $(CURDIR)/.warehouse/dagster

.PHONY: install demo test test-fast lint dsn dsn-owner env stop ui bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install  ## generate sample events, then load, build and check everything through Dagster
	$(BIN)/python -m orchestration.demo --events $(EVENTS) --days $(DAYS)

ui: install  ## the Dagster UI on the same warehouse (Ctrl-C stops it)
	$(BIN)/python -m orchestration.ui

test: install lint  ## the whole suite (CI runs exactly this)
	$(BIN)/pytest

test-fast: install lint  ## lint, and every test that runs no dbt or Dagster build (< 2 min)
	$(BIN)/pytest -m "not dbt" -n 2

lint: install  ## ruff on the Python, sqlfluff on the dbt models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models --processes 2 --disable-progress-bar

dsn: install  ## the read-only connection string a BI tool (or psql) uses
	@$(BIN)/python -m ingest dsn

dsn-owner: install  ## the owner role's connection string (loads, builds, DDL)
	@$(BIN)/python -m ingest dsn --owner

env: install  ## export lines for dbt and psql: eval "$$(make -s env)"
	@$(BIN)/python -m ingest env

stop: install  ## stop the embedded PostgreSQL
	$(BIN)/python -m ingest stop

bench: install  ## benchmarks (not tests): prints ratios measured in one run
	$(BIN)/python -m tests.benchmarks.loader_bench
	$(BIN)/python -m tests.benchmarks.registry_bench
	$(BIN)/python -m tests.benchmarks.builds_bench
	$(BIN)/python -m tests.benchmarks.dagster_bench

clean: stop
	rm -rf .warehouse dbt_project/target dbt_project/logs
