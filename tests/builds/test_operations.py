"""Builds operations: retention drops whole raw partitions while the marts keep their
history; the seed's alerts fire on what crosses their thresholds (real dbt, real Dagster)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest.generator import GeneratorSpec
from ingest.warehouse import Warehouse
from orchestration.defs.builds import RETENTION, THRESHOLDS
from orchestration.lib.alerts import evaluate
from orchestration.lib.retention import expired_partitions
from tests.builds.recompute import fetch
from tests.databases import cloned_database
from tests.dbt_support import DbtProject, environment
from tests.retention import run_retention
from tests.sources import built_history, models_of

pytestmark = pytest.mark.dbt

BUILDS_MODELS = models_of("builds")
# 200 days: past both limits (90 days of builds, 180 of requests).
SPEC = GeneratorSpec(events=100_000, days=200, seed=13)


@pytest.fixture(scope="module")
def built(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    work = tmp_path_factory.mktemp("builds-operations")
    with built_history(
        server, work, SPEC, "builds", command="run", with_catalogs=False
    ) as warehouse:
        yield warehouse


@pytest.fixture
def copy(built: Warehouse, server: Warehouse) -> Iterator[Warehouse]:
    with cloned_database(server, built) as warehouse:
        yield warehouse


def _oldest_day(warehouse: Warehouse, table: str, column: str) -> date:
    [row] = fetch(warehouse, f"select min(({column} at time zone 'UTC')::date) as day from {table}")
    return row["day"]


def _mart_days(warehouse: Warehouse) -> dict[str, int]:
    return {
        mart: fetch(warehouse, f"select count(*) as n from marts.{mart}")[0]["n"]
        for mart in ("build_stats_daily", "build_client_stats", "build_request_stats_daily")
    }


def test_retention_drops_whole_partitions_and_the_marts_keep_their_history(
    copy: Warehouse, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    metrics, clients = RETENTION
    assert expired_partitions(copy, metrics, now), "the history is older than 90 days"
    stats_before = _mart_days(copy)
    rows_before = fetch(copy, "select * from marts.build_stats_daily order by period_start")
    oldest_request = _oldest_day(copy, "raw.build_requests", "requested_at")

    result = run_retention("builds", RETENTION, copy)
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    dropped = result.asset_materializations_for_node("builds_raw_retention")[0].metadata
    assert dropped["dropped_partitions"].value > 0

    # Whole months: nothing older than the month of the cutoff stays, nothing newer goes.
    for rule, table, column in ((metrics, "raw.build_events", "started_at"),
                                (clients, "raw.build_requests", "requested_at")):  # fmt: skip
        cutoff = rule.cutoff(now).date()
        assert cutoff.replace(day=1) <= _oldest_day(copy, table, column) <= cutoff, table
        assert not expired_partitions(copy, rule, now)
    assert oldest_request < clients.cutoff(now).date(), "requests were past their limit too"

    # A bare run after the drop changes no mart: their history stays.
    DbtProject(copy, tmp_path)("run", "--select", *BUILDS_MODELS)
    assert _mart_days(copy) == stats_before
    assert fetch(copy, "select * from marts.build_stats_daily order by period_start") == rows_before

    # The limits come from the environment, not from constants.
    with environment(BUILDS_METRICS_RETENTION_DAYS="30"):
        assert expired_partitions(copy, metrics, now)
        run_retention("builds", RETENTION, copy)
        cutoff = metrics.cutoff(now).date()
        assert cutoff.replace(day=1) <= _oldest_day(copy, "raw.build_events", "started_at")


def _latest_complete_day(warehouse: Warehouse) -> date:
    [row] = fetch(
        warehouse, "select max(period_start) as day from marts.build_stats_daily where is_complete"
    )
    return row["day"]


def test_each_alert_fires_on_what_crosses_its_threshold(copy: Warehouse) -> None:
    by_name = {threshold.name: threshold for threshold in THRESHOLDS}
    day = _latest_complete_day(copy)
    with copy.cursor() as cursor:  # that day, exactly at each threshold: no alert
        cursor.execute(
            "update marts.build_stats_daily set success_rate = 0.85, cache_hit_rate = 0.30,"
            f" avg_build_duration_seconds = 300 where period_start = '{day}'"
        )
        cursor.execute(
            "update marts.build_client_stats set failed_builds = 5, successful_builds = 5"
            f" where period_start = '{day}'"
        )
        cursor.execute(
            "update marts.build_queue_hourly set min_queue_length = 100"
            f" where period_start between '{day}'::date - 1 and '{day}'"
        )
    quiet = {name: evaluate(copy, threshold).passed for name, threshold in by_name.items()}
    assert quiet == dict.fromkeys(by_name, True)
    with copy.cursor() as cursor:
        cursor.execute(
            "update marts.build_stats_daily set success_rate = 0.84, cache_hit_rate = 0.29,"
            f" avg_build_duration_seconds = 301 where period_start = '{day}'"
        )
        cursor.execute(
            "update marts.build_client_stats set failed_builds = 6, successful_builds = 4"
            f" where period_start = '{day}' and client = 'auc/0.3'"
        )
        # Above 100 from 10:00 to 11:59 (two whole hours); 13:00 alone is no alert.
        cursor.execute(
            "update marts.build_queue_hourly set min_queue_length = 101"
            f" where period_start = '{day}' and extract(hour from hour_start) in (10, 11, 13)"
        )
    fired = {name: evaluate(copy, threshold) for name, threshold in by_name.items()}
    assert {name: result.passed for name, result in fired.items()} == dict.fromkeys(by_name, False)
    queue = fired["alert_build_queue_over_100_for_an_hour"].metadata["breaches"]
    assert queue.value == 1
