"""The Dagster code location, run for real: partition runs, schedules, sensors and checks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from orchestration.jobs import DAILY_JOB, LOAD_JOB, SNAPSHOT_JOB
from orchestration.schedules import REASON_TAG
from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG
from orchestration.settings import Settings

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import PROJECT_ROOT, Warehouse
from orchestration.definitions import build_definitions
from orchestration.demo import QUIET
from tests.databases import fresh_database
from tests.dbt_support import DbtProject
from tests.registry.recompute import fetch

pytestmark = pytest.mark.dbt

DAYS = 3
SPEC = GeneratorSpec(events=8_000, days=DAYS, seed=21, late_share=0.0)


@dataclass
class Location:
    warehouse: Warehouse
    instance: dg.DagsterInstance
    defs: dg.Definitions
    settings: Settings
    days: list[date]
    work: Path


def _run(location: Location, job: str, **kwargs: object) -> dg.ExecuteInProcessResult:
    result = location.defs.resolve_job_def(job).execute_in_process(
        instance=location.instance, run_config=QUIET, raise_on_error=False, **kwargs
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


@pytest.fixture(scope="module")
def location(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Location]:
    """A test database with registry files in a landing folder, each day built as a partition."""
    work = tmp_path_factory.mktemp("orchestration")
    generate(SPEC, work / "landing", tables=SOURCES["registry"])
    days = [SPEC.first_day + timedelta(days=n) for n in range(DAYS)]
    settings = Settings(work / "landing", days[0].isoformat(), restatement_days=3, owner="team:t")
    saved = os.environ.get("WAREHOUSE_URL")
    with fresh_database(server) as warehouse, dg.instance_for_test() as instance:
        os.environ["WAREHOUSE_URL"] = warehouse.url
        try:
            migrate.migrate(warehouse)
            here = Location(warehouse, instance, build_definitions(settings), settings, days, work)
            _run(here, LOAD_JOB)
            for day in days:
                _run(here, DAILY_JOB, partition_key=day.isoformat())
            _run(here, SNAPSHOT_JOB)
            yield here
        finally:
            os.environ.pop("WAREHOUSE_URL", None) if saved is None else os.environ.update(
                WAREHOUSE_URL=saved
            )


def test_workspace_loads_the_code_location(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate",
         "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


def test_assets_are_grouped_by_source_partitioned_and_checked(location: Location) -> None:
    graph = location.defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"registry", "actions", "product", "builds", "ingest"} <= groups
    daily = graph.get(dg.AssetKey(["marts", "module_stats_weekly"]))
    assert daily.partitions_def is not None
    assert graph.get(dg.AssetKey(["marts", "trending_modules"])).partitions_def is None
    assert graph.get(dg.AssetKey(["staging", "stg_registry__download_events"])).owners == ["team:t"]
    check_names = {key.name for key in graph.asset_check_keys}
    assert {
        "language_stats_daily_consistency", "module_stats_daily_reconciles_with_staging",
        "alert_health_score_below_50", "alert_compilation_p95_over_5s",
        "alert_download_error_rate_over_10pct", "freshness_check",
    } <= check_names  # fmt: skip
    assert any(name.startswith("unique_combination_of_columns") for name in check_names)


def test_each_partition_run_recorded_its_window_and_row_counts(location: Location) -> None:
    key = dg.AssetKey(["marts", "module_stats_daily"])
    assert location.instance.get_materialized_partitions(key) == {
        d.isoformat() for d in location.days
    }
    event = location.instance.get_latest_materialization_event(key)
    metadata = event.asset_materialization.metadata
    last = location.days[-1].isoformat()
    assert metadata["window"].value == f"{last} .. {last}"
    assert metadata["dagster/row_count"].value > 0


def _mart_tables(warehouse: Warehouse) -> list[str]:
    rows = fetch(warehouse, "select table_name from information_schema.tables"
                            " where table_schema = 'marts' order by 1")  # fmt: skip
    return [row["table_name"] for row in rows]


def test_partition_by_partition_equals_a_full_refresh(location: Location, tmp_path: Path) -> None:
    warehouse = location.warehouse
    marts = _mart_tables(warehouse)
    assert len(marts) == 9
    with warehouse.cursor() as cursor:
        cursor.execute("create schema partitioned_result")
        for mart in marts:
            cursor.execute(f"create table partitioned_result.{mart} as table marts.{mart}")
    DbtProject(warehouse, tmp_path)("run", "--full-refresh")
    first, last = location.days[0], location.days[-1]
    for mart in marts:
        # The catalog's creation days before the first partition are only built by a run
        # without a window (org_stats_daily); compare the partitions' days for that mart.
        where = (
            f"where period_start between '{first}' and '{last}'"
            if mart == "org_stats_daily"
            else ""
        )
        [row] = fetch(warehouse, f"""
            select (select count(*) from (select * from marts.{mart} {where}
                    except all select * from partitioned_result.{mart} {where}) as a)
                 + (select count(*) from (select * from partitioned_result.{mart} {where}
                    except all select * from marts.{mart} {where}) as b) as difference,
                   (select count(*) from marts.{mart} {where}) as rows
        """)  # fmt: skip
        assert row["rows"] > 0, mart
        assert row["difference"] == 0, mart


def test_nightly_schedule_runs_yesterdays_partition(location: Location) -> None:
    schedule = location.defs.resolve_schedule_def("daily_models_0005_utc")
    assert schedule.cron_schedule == "5 0 * * *" and schedule.execution_timezone == "UTC"
    when = datetime.combine(location.days[-1] + timedelta(days=1), datetime.min.time(), UTC)
    context = dg.build_schedule_context(
        instance=location.instance, scheduled_execution_time=when + timedelta(minutes=5)
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == location.days[-1].isoformat()


def test_rolling_restatement_requests_the_last_days_as_one_run(location: Location) -> None:
    schedule = location.defs.resolve_schedule_def("rolling_restatement")
    context = dg.build_schedule_context(
        instance=location.instance,
        scheduled_execution_time=datetime(2026, 3, 10, 0, 30, tzinfo=UTC),
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (
        "2026-03-07",
        "2026-03-09",
    )
    assert "rolling restatement" in request.tags[REASON_TAG]


def _late_file(location: Location, name: str, day: date, count: int) -> Path:
    path = location.work / name
    lines = ["event_id,downloaded_at,module_name,version,language,success"]
    lines += [f"late-{name}-{n},{day}T12:00:00Z,late.module,v1,go,true" for n in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_late_data_sensor_requests_exactly_the_built_days_once(location: Location) -> None:
    sensor = location.defs.resolve_sensor_def("late_data_sensor")
    with location.warehouse.cursor() as cursor:
        cursor_before = cursor.execute("select max(load_id) from raw._loads").fetchone()[0]
    built_day, unbuilt_day = location.days[1], location.days[-1] + timedelta(days=1)
    loader.load_file(
        location.warehouse, _late_file(location, "download_events__late1.csv", built_day, 3)
    )
    loader.load_file(
        location.warehouse, _late_file(location, "download_events__late2.csv", unbuilt_day, 2)
    )

    def tick(cursor: str) -> dg.SensorExecutionData:
        context = dg.build_sensor_context(
            instance=location.instance, cursor=cursor,
            resources={"warehouse": location.defs.resources["warehouse"]},
        )  # fmt: skip
        return sensor.evaluate_tick(context)

    first = tick(str(cursor_before))
    [request] = first.run_requests
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (
        built_day.isoformat(), built_day.isoformat(),
    )  # fmt: skip
    assert request.tags[REASON_TAG].startswith("late data: loads")
    second = tick(first.cursor)
    assert second.run_requests == [] or second.run_requests is None
    assert second.skip_message


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.event_specific_data.asset_check_key.name: e.event_specific_data
        for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }  # fmt: skip


def _run_checks(
    location: Location, asset: list[str], *names: str
) -> dict[str, dg.AssetCheckEvaluation]:
    key = dg.AssetKey(asset)
    job = dg.define_asset_job(
        "checks_" + "_".join(names),
        selection=dg.AssetSelection.checks(*(dg.AssetCheckKey(key, name) for name in names)),
    )
    defs = dg.Definitions.merge(location.defs, dg.Definitions(jobs=[job]))
    result = defs.resolve_job_def(job.name).execute_in_process(
        instance=location.instance, run_config=QUIET, raise_on_error=False
    )
    return _evaluations(result)


def test_a_corrupted_mart_row_fails_its_checks_with_numbers(location: Location) -> None:
    checks = ("language_stats_daily_consistency", "alert_compilation_p95_over_5s")
    before = _run_checks(location, ["marts", "language_stats_daily"], *checks)
    assert before[checks[0]].passed
    go_breach = {"language": "go", "p95_duration_ms": "7500.0"}
    assert go_breach not in before[checks[1]].metadata["worst"].value
    first_day, last_day = location.days[0], location.days[-1]
    with location.warehouse.cursor() as cursor:
        cursor.execute(
            "update marts.language_stats_daily set p50_duration_ms = p99_duration_ms + 1,"
            " p95_duration_ms = 9000, failure_rate = 1.5"
            " where (period_start, language) = (select period_start, language"
            "  from marts.language_stats_daily where period_start = %s order by 2 limit 1)",
            (first_day,),
        )
        # The newest day is what the p95 alert reads.
        cursor.execute(
            "update marts.language_stats_daily set p95_duration_ms = 7500, p99_duration_ms = 7600"
            " where period_start = %s and language = 'go'",
            (last_day,),
        )
    after = _run_checks(location, ["marts", "language_stats_daily"], *checks)
    gx = after[checks[0]]
    assert not gx.passed
    failures = gx.metadata["failures"].value
    assert any("p95_duration_ms" in label and result["unexpected_count"] == 1
               for label, result in failures.items())  # fmt: skip
    assert any("failure_rate" in label for label in failures)
    alert = after[checks[1]]
    assert not alert.passed and alert.severity == dg.AssetCheckSeverity.WARN
    assert go_breach in alert.metadata["worst"].value

    # dbt's own tests run with a partition and check the whole table, so a partition of
    # another day still catches the corrupted first day.
    run = location.defs.resolve_job_def(DAILY_JOB).execute_in_process(
        instance=location.instance, run_config=QUIET, raise_on_error=False,
        partition_key=last_day.isoformat(),
    )  # fmt: skip
    dbt_checks = _evaluations(run)
    failure_rate_test = next(
        n for n in dbt_checks if n.startswith("accepted_range") and "failure_rate" in n
    )
    assert not dbt_checks[failure_rate_test].passed
