"""Product models: day-by-day incremental runs, with late, duplicate and re-sent events and
metric points, sessions across midnight, late events of old sessions (one that moves a
session's start to the day before), and metric points older than every window and than all
the data, equal a full refresh and the recomputation from raw."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.dbt_support import (
    DbtProject,
    differences_from_full_refresh,
    files_by_day,
    write_jsonl,
)
from tests.product import recompute_metrics
from tests.product.recompute import RawProduct, assert_every_mart_matches, fetch
from tests.product.recompute_metrics import RawMetrics

pytestmark = pytest.mark.dbt

PRODUCT_MODELS = ("staging.product", "intermediate.product", "marts.product")
# The last days are built with a bare `dbt run` (what changed since the last run, plus the
# lookback); the days before with an explicit window of one day, as a Dagster partition run.
BARE_RUN_DAYS = 5
COLUMNS = (
    "event_id, occurred_at, event_type::text as event_type, event_name, category, session_id,"
    " user_id, properties, context, page_url, referrer, is_internal"
)


def _events(warehouse: Warehouse, where: str) -> list[dict[str, Any]]:
    return fetch(warehouse, f"select {COLUMNS} from raw.analytics_events where {where}")


def _relations(warehouse: Warehouse) -> list[str]:
    rows = fetch(
        warehouse,
        "select table_schema || '.' || table_name as relation from information_schema.tables"
        " where table_schema in ('staging', 'marts') and table_type = 'BASE TABLE'"
        " and table_name in (select model_name from (values ('stg_product__events'),"
        " ('product_events_daily'), ('product_sessions'), ('user_activity_daily'),"
        " ('active_users_daily'), ('active_users_weekly'), ('active_users_monthly'),"
        " ('feature_usage_daily'), ('funnel_conversions'), ('codescribe_lifecycle_daily'),"
        " ('codescribe_business_events_daily'), ('stg_product__metrics'),"
        " ('metric_aggregates_hourly'), ('metric_aggregates_daily'), ('metric_aggregates_weekly'),"
        " ('metric_aggregates_monthly'), ('llm_performance_buckets_daily'),"
        " ('llm_generation_time_daily'), ('llm_prompt_cache_daily')) as m (model_name))"
        " order by 1",
    )
    return [row["relation"] for row in rows]


def _late_events_of_old_sessions(warehouse: Warehouse, day: date) -> list[dict[str, Any]]:
    """New events of three sessions started on `day`: one a day before the first session's
    first event (its start, and its row, move to the day before), and one a day after the
    last event of each of the two others (they now run past midnight)."""
    sessions = fetch(
        warehouse,
        "select session_id, min(occurred_at) as started_at, max(occurred_at) as ended_at"
        " from raw.analytics_events where session_id is not null"
        f" group by session_id having (min(occurred_at) at time zone 'UTC')::date = '{day}'"
        " order by session_id limit 3",
    )
    template = _events(warehouse, f"session_id = '{sessions[0]['session_id']}'")[0]
    late = []
    for index, session in enumerate(sessions):
        event = dict(template, event_id=f"late-old-{index}", session_id=session["session_id"])
        if index == 0:  # the session now starts the day before
            event["occurred_at"] = session["started_at"] - timedelta(days=1)
        else:  # the session now runs into the next day
            event["occurred_at"] = session["ended_at"] + timedelta(days=1)
        late.append(event)
    return late


def _points(warehouse: Warehouse, where: str) -> list[dict[str, Any]]:
    return fetch(
        warehouse,
        "select event_id, recorded_at, name, metric_type::text as metric_type, value, tags, unit"
        f" from raw.metrics where {where} order by event_id",
    )


def _old_points(warehouse: Warehouse, *days: date) -> list[dict[str, Any]]:
    """New points (new ids) on each of `days`, copies of the first points of the last day
    with their values moved, so every grain's numbers change."""
    template = _points(warehouse, "recorded_at >= (select max(recorded_at) - interval '1 day'"
                       " from raw.metrics)")[:30]  # fmt: skip
    return [
        dict(
            point,
            event_id=f"late-{day}-{index}",
            recorded_at=datetime.combine(day, point["recorded_at"].timetz()),
            value=point["value"] * 3 + index,
        )
        for day in days
        for index, point in enumerate(template)
    ]


def _on_day(time_column: str, day: date) -> str:
    return f"({time_column} at time zone 'UTC')::date = '{day}'"


def _resend(warehouse: Warehouse, path: Path, rows: list[dict[str, Any]]) -> None:
    """The rows again, 30 hours later: every copy is quarantined as re-sent."""
    time_column = "occurred_at" if "occurred_at" in rows[0] else "recorded_at"
    moved = [dict(row, **{time_column: row[time_column] + timedelta(hours=30)}) for row in rows]
    assert loader.load_file(warehouse, write_jsonl(path, moved)).rows_quarantined == len(rows)


def test_day_by_day_incremental_runs_equal_a_full_refresh(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    spec = GeneratorSpec(events=80_000, days=30, seed=6, late_share=0.05, duplicate_share=0.02)
    by_day = files_by_day(generate(spec, tmp_path / "landing", tables=SOURCES["product"]))
    dbt = DbtProject(warehouse, tmp_path)
    days = list(by_day)
    dbt("seed", "--select", "staging.product")  # the funnel definitions
    for index, (day, day_files) in enumerate(by_day.items()):
        for path in day_files:
            loader.load_file(warehouse, path)
        if index == 12:
            # A client re-sends events and points of the day before with another time: the
            # loader keeps the first copy, so the re-sent ones never count.
            for table, rows in (
                ("analytics_events", _events(warehouse, _on_day("occurred_at", days[index - 1]))),
                ("metrics", _points(warehouse, _on_day("recorded_at", days[index - 1]))),
            ):
                _resend(warehouse, tmp_path / f"{table}__resent-{day}.jsonl", rows[:20])
        if 0 < index < len(by_day) - BARE_RUN_DAYS:
            # One day, as a partition: its late events (up to 3 days old) are caught by the
            # later bare runs, which rebuild every day that changed.
            dbt("run", "--select", *PRODUCT_MODELS, min_date=str(day), max_date=str(day))
        else:
            dbt("run", "--select", *PRODUCT_MODELS)

    # Late events of sessions 20 days old (new ids): the next bare run catches them up.
    late = _late_events_of_old_sessions(warehouse, days[-1] - timedelta(days=20))
    loader.load_file(warehouse, write_jsonl(tmp_path / "analytics_events__late.jsonl", late))
    # Metric points 20 days old, and 45 days before the first day (older than all the data:
    # the first event day moves, so the first week and month become complete or not anew).
    old = _old_points(warehouse, days[-1] - timedelta(days=20), days[0] - timedelta(days=45))
    loader.load_file(warehouse, write_jsonl(tmp_path / "metrics__late.jsonl", old))
    dbt("run", "--select", *PRODUCT_MODELS)

    raw = RawProduct.read(warehouse)
    assert_every_mart_matches(warehouse, raw)
    recompute_metrics.assert_every_mart_matches(warehouse, RawMetrics.read(warehouse))

    relations = _relations(warehouse)
    assert len(relations) == 19
    differences = differences_from_full_refresh(warehouse, dbt, relations, PRODUCT_MODELS)
    assert differences == dict.fromkeys(relations, 0)
