"""Actions models: day-by-day incremental runs, with late, duplicate and re-sent events and a
late file of old events, equal a full refresh and the recomputation from raw; a second run
changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.actions.recompute import MARTS, RawActions, assert_mart_matches, fetch
from tests.dbt_support import (
    DbtProject,
    differences_after,
    files_by_day,
    replay_day_by_day,
    resend_with_another_time,
    tables_of,
    write_jsonl,
)
from tests.sources import models_of

pytestmark = pytest.mark.dbt

ACTIONS_MODELS = models_of("actions")
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


def test_day_by_day_incremental_runs_equal_a_full_refresh(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    spec = GeneratorSpec(events=200_000, days=30, seed=7, late_share=0.05, duplicate_share=0.02)
    by_day = files_by_day(generate(spec, tmp_path / "landing", tables=SOURCES["actions"]))
    dbt = DbtProject(warehouse, tmp_path)
    days = list(by_day)

    def resend_the_day_before(index: int, day: date) -> None:
        """A logger re-sends results of the day before with another time: the loader keeps
        the first copy, so the re-sent ones never count."""
        if index == 12:
            day_before = f"(executed_at at time zone 'UTC')::date = '{days[index - 1]}'"
            resent = _result_rows(warehouse, day_before)[:20]
            resend_with_another_time(
                warehouse, resent, "executed_at", tmp_path / f"action_results__resent-{day}.jsonl"
            )

    loader.load_file(warehouse, tmp_path / "landing" / "triggers__catalog.csv")  # before day 1
    # The generator's late events are at most 3 days late: the lookback of a windowed run.
    replay_day_by_day(
        dbt, by_day, ACTIONS_MODELS, BARE_RUN_DAYS, timedelta(days=3), resend_the_day_before
    )

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

    relations = tables_of(dbt, "actions")
    assert len(relations) == 11
    zero = dict.fromkeys(relations, 0)
    nothing_new = differences_after(
        dbt, relations, "--select", *ACTIONS_MODELS, ignored_columns=VOLATILE_COLUMNS
    )
    assert nothing_new == zero, "a second run with nothing new changed rows"
    refreshed = differences_after(
        dbt,
        relations,
        "--select",
        *ACTIONS_MODELS,
        "--full-refresh",
        ignored_columns=VOLATILE_COLUMNS,
    )
    assert refreshed == zero
