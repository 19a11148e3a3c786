"""Builds models: day-by-day incremental runs, with late, duplicate and re-sent events and a
late file of old events, equal a full refresh and the recomputation from raw."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.builds.recompute import RawBuilds, assert_every_mart_matches, fetch
from tests.dbt_support import (
    DbtProject,
    differences_from_full_refresh,
    files_by_day,
    replay_day_by_day,
    resend_with_another_time,
    tables_of,
    write_jsonl,
)
from tests.sources import models_of

pytestmark = pytest.mark.dbt

BUILDS_MODELS = models_of("builds")
# The last days are built with a bare `dbt run` (what changed since the last run, plus the
# lookback); the days before with an explicit window, as orchestration runs a partition.
BARE_RUN_DAYS = 5


def _build_rows(warehouse: Warehouse, where: str) -> list[dict[str, Any]]:
    return fetch(
        warehouse,
        "select event_id, started_at, finished_at, request_hash, client, duration_seconds,"
        " status::text as status, error_category::text as error_category, error_type,"
        f" error_message, cache_hit, worker_id, queue_length from raw.build_events where {where}",
    )


def test_day_by_day_incremental_runs_equal_a_full_refresh(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    spec = GeneratorSpec(events=90_000, days=30, seed=6, late_share=0.05, duplicate_share=0.02)
    by_day = files_by_day(generate(spec, tmp_path / "landing", tables=SOURCES["builds"]))
    dbt = DbtProject(warehouse, tmp_path)
    days = list(by_day)

    def resend_the_day_before(index: int, day: date) -> None:
        """A client re-sends builds of the day before with another start time: the loader
        keeps the first copy, so the re-sent ones never count."""
        if index == 12:
            day_before = f"(started_at at time zone 'UTC')::date = '{days[index - 1]}'"
            resent = _build_rows(warehouse, day_before)[:20]
            resend_with_another_time(
                warehouse, resent, "started_at", tmp_path / f"build_events__resent-{day}.jsonl"
            )

    # The generator's late events are at most 3 days late: the lookback of a windowed run.
    replay_day_by_day(
        dbt, by_day, BUILDS_MODELS, BARE_RUN_DAYS, timedelta(days=3), resend_the_day_before
    )

    # A late file of builds 20 days old (new ids): the next bare run catches it up.
    old_day = days[-1] - timedelta(days=20)
    late = _build_rows(warehouse, f"(started_at at time zone 'UTC')::date = '{old_day}'")[:40]
    for row in late:
        row["event_id"] = "late-" + row["event_id"]
    loader.load_file(warehouse, write_jsonl(tmp_path / "build_events__late.jsonl", late))
    dbt("run", "--select", *BUILDS_MODELS)

    raw = RawBuilds.read(warehouse)
    compared = assert_every_mart_matches(warehouse, raw)
    assert all(compared.values()), compared
    [snapshots] = fetch(
        warehouse, "select count(distinct as_of_date) as days from marts.build_overview"
    )
    assert snapshots["days"] >= len(by_day) - BARE_RUN_DAYS, "windowed runs stored history"

    relations = tables_of(dbt, "builds")
    assert len(relations) == 12
    differences = differences_from_full_refresh(dbt, relations, BUILDS_MODELS)
    assert differences == dict.fromkeys(relations, 0)
