# Everything a user types. `make demo` on a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EVENTS ?= 200000
DAYS   ?= 60

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_HOME ?= $(CURDIR)/.warehouse/dagster
# Where production runs (Dagster) publish dbt's manifest and run results: what `make slim`
# defers to and compares against.
DBT_STATE ?= $(or $(WAREHOUSE_DBT_STATE_DIR),$(CURDIR)/.warehouse/dbt-state)
DOCS_PORT ?= 8080
comma := ,
# dbt in dbt_project/, pointed at the configured warehouse (the `dev` target unless told).
DBT = cd dbt_project && eval "$$(../$(BIN)/python -m ingest env)" && ../$(BIN)/dbt

.PHONY: install cluster demo test test-fast lint dsn dsn-owner env stop ui bi bench clean docs slim compare

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install  ## generate sample events, then load, build and check everything through Dagster
	$(BIN)/python -m orchestration.demo --events $(EVENTS) --days $(DAYS)

cluster: install  ## a local Spark cluster (master, 2 workers, Thrift server) on 127.0.0.1; make stop stops it
	@$(BIN)/python -m ingest.cluster start

ui: install  ## the Dagster UI on the same warehouse (Ctrl-C stops it)
	$(BIN)/python -m orchestration.ui

test: install lint  ## the whole suite (CI runs exactly this)
	$(BIN)/pytest

test-fast: install lint  ## lint, and every test that runs no dbt, Dagster build or Spark (< 2 min)
	$(BIN)/pytest -m "not dbt and not spark" -n 2

lint: install  ## ruff on the Python, sqlfluff on the dbt models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models --processes 2 --disable-progress-bar

bi: install  ## Superset with a dashboard per source on the warehouse (BI_PORT, default 8088); make stop stops it
	$(BIN)/python -m bi start

dsn: install  ## the read-only connection string a BI tool (or psql) uses
	@$(BIN)/python -m ingest dsn

dsn-owner: install  ## the owner role's connection string (loads, builds, DDL)
	@$(BIN)/python -m ingest dsn --owner

env: install  ## export lines for dbt and psql: eval "$$(make -s env)"
	@$(BIN)/python -m ingest env

docs: install  ## dbt's docs site of production (lineage, columns, tests): http://127.0.0.1:$(DOCS_PORT)
	$(DBT) docs generate --target prod --quiet
	$(DBT) docs serve --target prod --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

slim: install  ## build what you changed (and what depends on it) in your dev schemas, the rest read from production
	@test -f "$(DBT_STATE)/manifest.json" || { echo "error: no production manifest in $(DBT_STATE): run make demo (or any Dagster run of a source's models) first"; exit 1; }
	$(DBT) build --select state:modified+ --defer --state "$(DBT_STATE)"

compare: install  ## MODEL=<mart> [FROM=<day>] [TO=<day>]: your dev relation against production's
	@test -n "$(MODEL)" || { echo "error: name the model: make compare MODEL=module_stats_daily"; exit 1; }
	@$(DBT) run-operation compare_with_production --quiet --args '{model: "$(MODEL)"$(if $(FROM),$(comma) min_date: "$(FROM)")$(if $(TO),$(comma) max_date: "$(TO)")}'

stop: install  ## stop the Spark cluster (make cluster), Superset (make bi) and the embedded PostgreSQL
	$(BIN)/python -m ingest.cluster stop
	$(BIN)/python -m bi stop
	$(BIN)/python -m ingest stop

bench: install  ## benchmarks (not tests): every ratio measured in one run, in one table at the end
	$(BIN)/python -m tests.benchmarks

clean: stop
	rm -rf .warehouse dbt_project/target dbt_project/logs
