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
    replay_day_by_day,
    tables_of,
    write_jsonl,
)
from tests.product import recompute_metrics
from tests.product.recompute import RawProduct, assert_every_mart_matches, fetch
from tests.product.recompute_metrics import RawMetrics
from tests.sources import models_of

pytestmark = pytest.mark.dbt

PRODUCT_MODELS = models_of("product")
# The last days are built with a bare `dbt run` (what changed since the last run, plus the
# lookback); the days before with an explicit window of one day, as a Dagster partition run.
BARE_RUN_DAYS = 5
COLUMNS = (
    "event_id, occurred_at, event_type::text as event_type, event_name, category, session_id,"
    " user_id, properties, context, page_url, referrer, is_internal"
)


def _events(warehouse: Warehouse, where: str) -> list[dict[str, Any]]:
    return fetch(warehouse, f"select {COLUMNS} from raw.analytics_events where {where}")


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

    def resend_the_day_before(index: int, day: date) -> None:
        """A client re-sends events and points of the day before with another time: the
        loader keeps the first copy, so the re-sent ones never count."""
        if index != 12:
            return
        for table, rows in (
            ("analytics_events", _events(warehouse, _on_day("occurred_at", days[index - 1]))),
            ("metrics", _points(warehouse, _on_day("recorded_at", days[index - 1]))),
        ):
            _resend(warehouse, tmp_path / f"{table}__resent-{day}.jsonl", rows[:20])

    dbt("seed", "--select", "staging.product")  # the funnel definitions
    # One day per windowed run, as a partition: its late events (up to 3 days old) are caught
    # by the later bare runs, which rebuild every day that changed.
    replay_day_by_day(dbt, by_day, PRODUCT_MODELS, BARE_RUN_DAYS, on_day=resend_the_day_before)

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

    relations = tables_of(dbt, "product")
    assert len(relations) == 19
    differences = differences_from_full_refresh(dbt, relations, PRODUCT_MODELS)
    assert differences == dict.fromkeys(relations, 0)
