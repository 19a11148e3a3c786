"""Orchestration settings: environment variables with defaults, read when asked, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.warehouse import PROJECT_ROOT, warehouse_dir


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    partitions_start: str | None  # None: the first day with data (partitions.first_data_day)
    restatement_days: int
    owner: str
    dbt_state_dir: Path

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
        )


DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The dbt target that builds the schemas BI tools read (profiles.example.yml); a person at a
# terminal builds the `dev` target into schemas of their own.
DBT_PRODUCTION_TARGET = "prod"
