"""Actions models: day-by-day incremental runs, with late, duplicate and re-sent events and a
late file of old events, equal a full refresh and the recomputation from raw; a second run
changes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.actions.recompute import MARTS, RawActions, assert_mart_matches, fetch
from tests.dbt_support import DbtProject, files_by_day, rows_differing, write_jsonl

pytestmark = pytest.mark.dbt

ACTIONS_MODELS = ("staging.actions", "intermediate.actions", "marts.actions")
# The last days are built with a bare `dbt run` (what changed since the last run, plus the
# lookback); the days before with an explicit window, as orchestration runs a partition.
BARE_RUN_DAYS = 5
# Rebuilt whole by every run at the time of the run: compared without their build time.
VOLATILE_COLUMNS = {"action_system_health": "built_at"}


def _result_rows(warehouse: Warehouse, where: str) -> list[dict[str, Any]]:
    return fetch(
        warehouse,
        "select event_id, executed_at, trigger_id, organization_id, action_type::text as"
        " action_type, status::text as status, duration_ms, retry_count, error_message,"
        f" response_data from raw.action_results where {where} order by event_id",
    )


def _relations(warehouse: Warehouse) -> list[str]:
    rows = fetch(
        warehouse,
        "select table_schema || '.' || table_name as relation from information_schema.tables"
        " where table_schema in ('staging', 'marts') and table_type = 'BASE TABLE'"
        " and (table_name like 'stg_actions%' or table_name like 'action%'"
        "      or table_name like 'trigger%' or table_name = 'recent_failures') order by 1",
    )
    return [row["relation"] for row in rows]


def _snapshot(warehouse: Warehouse, relations: list[str], schema: str) -> None:
    with warehouse.cursor() as cursor:
        cursor.execute(f"create schema {schema}")
        for relation in relations:
            copy = f"{schema}." + relation.replace(".", "__")
            cursor.execute(f"create table {copy} as table {relation}")
            volatile = VOLATILE_COLUMNS.get(relation.split(".")[1])
            if volatile:
                cursor.execute(f"alter table {copy} drop column {volatile}")


def _differences(warehouse: Warehouse, relations: list[str], left: str, right: str) -> dict:
    return {
        relation: rows_differing(
            warehouse,
            f"{left}." + relation.replace(".", "__"),
            f"{right}." + relation.replace(".", "__"),
        )
        for relation in relations
    }


def test_day_by_day_incremental_runs_equal_a_full_refresh(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    spec = GeneratorSpec(events=200_000, days=30, seed=7, late_share=0.05, duplicate_share=0.02)
    by_day = files_by_day(generate(spec, tmp_path / "landing", tables=SOURCES["actions"]))
    catalog = tmp_path / "landing" / "triggers__catalog.csv"
    dbt = DbtProject(warehouse, tmp_path)
    lookback = timedelta(days=3)  # the generator's late events are at most 3 days late
    days = list(by_day)
    for index, (day, day_files) in enumerate(by_day.items()):
        if index == 0 and catalog.exists():
            loader.load_file(warehouse, catalog)
        for path in day_files:
            loader.load_file(warehouse, path)
        if index == 12:
            # A logger re-sends results of the day before with another time: the loader
            # keeps the first copy, so the re-sent ones never count.
            resent = _result_rows(
                warehouse, f"(executed_at at time zone 'UTC')::date = '{days[index - 1]}'"
            )[:20]
            for row in resent:
                row["executed_at"] += timedelta(hours=30)
            path = write_jsonl(tmp_path / f"action_results__resent-{day}.jsonl", resent)
            assert loader.load_file(warehouse, path).rows_quarantined == len(resent)
        if 0 < index < len(by_day) - BARE_RUN_DAYS:
            dbt("run", "--select", *ACTIONS_MODELS, min_date=str(day - lookback), max_date=str(day))
        else:
            dbt("run", "--select", *ACTIONS_MODELS)

    # A late file of failures 20 days old (new ids): the next bare run catches it up.
    old_day = days[-1] - timedelta(days=20)
    late = _result_rows(warehouse, f"(executed_at at time zone 'UTC')::date = '{old_day}'")[:40]
    for row in late:
        row["event_id"] = "late-" + row["event_id"]
        row["status"], row["error_message"] = "failure", "late failure"
    loader.load_file(warehouse, write_jsonl(tmp_path / "action_results__late.jsonl", late))
    dbt("run", "--select", *ACTIONS_MODELS)

    raw = RawActions.read(warehouse)
    for mart in MARTS:
        assert assert_mart_matches(warehouse, raw, mart) > 0, mart
    [late_errors] = fetch(
        warehouse,
        "select sum(error_count) as n from marts.action_error_stats_daily"
        f" where error_message = 'late failure' and period_start = '{old_day}'",
    )
    assert late_errors["n"] == len(late)

    relations = _relations(warehouse)
    assert len(relations) == 11
    _snapshot(warehouse, relations, "incremental_result")
    dbt("run", "--select", *ACTIONS_MODELS)  # nothing new: changes nothing
    _snapshot(warehouse, relations, "second_run")
    dbt("run", "--select", *ACTIONS_MODELS, "--full-refresh")
    _snapshot(warehouse, relations, "full_refresh")
    zero = dict.fromkeys(relations, 0)
    assert _differences(warehouse, relations, "incremental_result", "second_run") == zero
    assert _differences(warehouse, relations, "incremental_result", "full_refresh") == zero
