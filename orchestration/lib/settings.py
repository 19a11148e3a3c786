"""Orchestration settings: environment variables with defaults, read when asked, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.warehouse import PROJECT_ROOT, warehouse_dir

# The engines dbt builds on: the embedded (or configured) PostgreSQL, or the Spark cluster of
# `make cluster` reading the raw tables from the Parquet lake (ingest/lake.py).
POSTGRES, SPARK = "postgres", "spark"
ENGINES = (POSTGRES, SPARK)
ENGINE_VARIABLE = "WAREHOUSE_ENGINE"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    partitions_start: str | None  # None: the first day with data (partitions.first_data_day)
    restatement_days: int
    owner: str
    dbt_state_dir: Path
    # ENGINES: where dbt builds the models (the raw tables stay in PostgreSQL either way).
    engine: str = POSTGRES

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            # Where new source files arrive; the load asset takes every file not loaded yet.
            landing_dir=Path(os.environ.get("WAREHOUSE_LANDING_DIR", warehouse_dir() / "landing")),
            # First daily partition (UTC); earlier history is built by a run without a window.
            # Unset: the first day the warehouse has events for, when the location loads.
            partitions_start=os.environ.get("WAREHOUSE_PARTITIONS_START") or None,
            # The rolling restatement re-runs this many days before today for late events.
            restatement_days=int(os.environ.get("WAREHOUSE_RESTATEMENT_DAYS", "3")),
            # Who answers for assets outside every dbt group (the ledger tables); each
            # source's owner is its dbt group's (dbt_project/models/_groups.yml).
            owner=os.environ.get("WAREHOUSE_OWNER", "team:analytics-engineering"),
            # Where production dbt runs publish their manifest and run results, the state an
            # engineer's slim build defers to (`dbt build --defer --state <this folder>`).
            dbt_state_dir=Path(
                os.environ.get("WAREHOUSE_DBT_STATE_DIR", warehouse_dir() / "dbt-state")
            ),
            engine=engine_from_env(),
        )


def engine_from_env() -> str:
    """WAREHOUSE_ENGINE (default postgres); anything else is an error naming the choices."""
    engine = os.environ.get(ENGINE_VARIABLE, POSTGRES).strip().lower() or POSTGRES
    if engine not in ENGINES:
        raise ValueError(f"{ENGINE_VARIABLE}={engine!r}: choose one of {', '.join(ENGINES)}")
    return engine


DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The dbt target that builds the schemas BI tools read (profiles.example.yml); a person at a
# terminal builds the `dev` target into schemas of their own.
DBT_PRODUCTION_TARGET = "prod"
# The dbt target of the spark engine (profiles.yml): Thrift to 127.0.0.1:SPARK_THRIFT_PORT.
DBT_SPARK_TARGET = "spark"
# The sources whose models build on Spark (the rest build on PostgreSQL only, so the spark
# engine leaves them out): what the lake export writes and the spark target selects.
SPARK_SOURCES = ("registry",)


def dbt_target(engine: str) -> str:
    """The dbt target Dagster's production runs build with on `engine`."""
    return DBT_SPARK_TARGET if engine == SPARK else DBT_PRODUCTION_TARGET
