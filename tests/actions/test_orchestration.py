"""The actions source through Dagster, for real: a partition backfill, then the 5-minute
refresh as its schedule requests it (today's partition), give the numbers of the
recomputation from raw and of a dbt full refresh; the refresh's freshness policy, alerts and
retention are declared on the right assets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import SALT_VARIABLE, Warehouse
from orchestration.definitions import build_definitions
from orchestration.demo import QUIET
from orchestration.lib.jobs import refresh_job_name, source_job_name
from orchestration.lib.schedules import RANGE_END_TAG, RANGE_START_TAG
from orchestration.lib.settings import Settings
from tests.actions.recompute import MARTS, RawActions, assert_mart_matches
from tests.actions.test_incremental import VOLATILE_COLUMNS
from tests.databases import fresh_database
from tests.dbt_support import DbtProject, differences_after, tables_of
from tests.sources import models_of

pytestmark = pytest.mark.dbt

ACTIONS_JOB = source_job_name("actions")
REFRESH_SCHEDULE = "actions_refresh_every_5_minutes"
DAYS = 8


def _run(defs: dg.Definitions, instance: dg.DagsterInstance, job: str, **kwargs: object) -> None:
    result = defs.resolve_job_def(job).execute_in_process(
        instance=instance, run_config=QUIET, raise_on_error=False, **kwargs
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]


@pytest.fixture(scope="module")
def refreshed(
    server: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Warehouse, dg.Definitions, dg.DagsterInstance, Path]]:
    """Actions up to today loaded; every day before today built as one backfill run, then
    today's partition as the 5-minute schedule requests it."""
    work = tmp_path_factory.mktemp("actions_dagster")
    today = datetime.now(UTC).date()
    spec = GeneratorSpec(events=120_000, days=DAYS, seed=17, end_date=today)
    settings = Settings(
        work / "landing", spec.first_day.isoformat(), 3, "team:t", work / "dbt-state"
    )
    saved = {name: os.environ.get(name) for name in ("WAREHOUSE_URL", SALT_VARIABLE)}
    with fresh_database(server) as warehouse, dg.instance_for_test() as instance:
        os.environ.update({"WAREHOUSE_URL": warehouse.url, SALT_VARIABLE: "test-salt"})
        try:
            migrate.migrate(warehouse)
            for path in generate(spec, work / "landing", tables=SOURCES["actions"]):
                loader.load_file(warehouse, path)
            with warehouse.cursor() as cursor:  # today so far: nothing the clock reaches later
                cursor.execute(
                    "delete from raw.action_results where executed_at > now() - interval '1 minute'"
                )
            defs = build_definitions(settings)
            yesterday = (today - timedelta(days=1)).isoformat()
            _run(defs, instance, ACTIONS_JOB, tags={RANGE_START_TAG: spec.first_day.isoformat(),
                                       RANGE_END_TAG: yesterday})  # fmt: skip
            schedule = defs.resolve_schedule_def(REFRESH_SCHEDULE)
            context = dg.build_schedule_context(
                instance=instance,
                scheduled_execution_time=datetime.now(UTC),
                repository_def=defs.get_repository_def(),
            )
            [request] = schedule.evaluate_tick(context).run_requests
            assert request.partition_key == today.isoformat()
            assert schedule.job_name == refresh_job_name("actions")
            _run(defs, instance, schedule.job_name, partition_key=request.partition_key,
                 tags=request.tags)  # fmt: skip
            yield warehouse, defs, instance, work
        finally:
            for name, value in saved.items():
                os.environ.pop(name, None) if value is None else os.environ.update({name: value})


def test_backfill_then_the_5_minute_refresh_equal_the_recomputation_and_a_full_refresh(
    refreshed: tuple[Warehouse, dg.Definitions, dg.DagsterInstance, Path],
) -> None:
    warehouse, _, _, work = refreshed
    raw = RawActions.read(warehouse)
    assert raw.reference.date() == datetime.now(UTC).date(), "today's actions are in"
    for mart in MARTS:
        assert assert_mart_matches(warehouse, raw, mart) > 0, mart
    dbt = DbtProject(warehouse, work)
    relations = tables_of(dbt, "actions")
    differences = differences_after(
        dbt,
        relations,
        "--select",
        *models_of("actions"),
        "--full-refresh",
        ignored_columns=VOLATILE_COLUMNS,
    )
    assert differences == dict.fromkeys(relations, 0)


def test_the_refresh_is_scheduled_every_5_minutes_and_fails_freshness_past_10(
    refreshed: tuple[Warehouse, dg.Definitions, dg.DagsterInstance, Path],
) -> None:
    _, defs, instance, _ = refreshed
    schedule = defs.resolve_schedule_def(REFRESH_SCHEDULE)
    assert schedule.cron_schedule == "*/5 * * * *" and schedule.execution_timezone == "UTC"
    graph = defs.resolve_asset_graph()
    key = dg.AssetKey(["marts", "recent_failures"])
    policy = graph.get(key).freshness_policy
    assert policy == dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes=10))
    today = datetime.now(UTC).date().isoformat()
    assert today in instance.get_materialized_partitions(key)
    checks = {k.name for k in graph.asset_check_keys}
    assert {
        "alert_action_success_rate_below_90pct", "alert_action_p95_over_1000ms",
        "actions_raw_retention_respected", "action_type_distribution_shares",
    } <= checks  # fmt: skip
    alert = dg.AssetCheckKey(
        dg.AssetKey(["marts", "action_system_health"]), "alert_action_p95_over_1000ms"
    )
    evaluations = instance.event_log_storage.get_latest_asset_check_execution_by_key([alert])
    assert evaluations, "the alerts ran with the refresh"
    # The refresh ran no dbt test (each reads its whole table): only the nightly runs do.
    [refresh] = instance.get_run_records(dg.RunsFilter(job_name=refresh_job_name("actions")))
    tests = instance.get_records_for_run(
        refresh.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    names = {r.event_log_entry.dagster_event.event_specific_data.check_name for r in tests}
    assert names == {"alert_action_success_rate_below_90pct", "alert_action_p95_over_1000ms"}
