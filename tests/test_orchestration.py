"""The Dagster code location, run for real: partition runs, schedules, sensors and checks.

One module database is built through Dagster (load, then each day as a partition) and only
read; a test that changes data works on a copy of it (tests.databases.cloned_database).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import REGISTERED
from ingest.warehouse import PROJECT_ROOT, SALT_VARIABLE, Warehouse
from orchestration import definitions
from orchestration.definitions import build_definitions
from orchestration.demo import QUIET
from orchestration.lib.dbt import (
    _RowCounts,
    dbt_environment,
    dbt_project,
    dbt_resource,
    has_models,
)
from orchestration.lib.freshness import LEDGER_SENSOR
from orchestration.lib.jobs import LOAD_JOB, quality_job_name, refresh_job_name, source_job_name
from orchestration.lib.partitions import WINDOW_END_TAG, WINDOW_START_TAG, daily_partitions
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.schedules import RANGE_END_TAG, RANGE_START_TAG, REASON_TAG
from orchestration.lib.settings import Settings
from orchestration.lib.source import declared_sources
from tests.databases import cloned_database, fresh_database
from tests.dbt_support import DbtProject, environment
from tests.recompute import fetch

pytestmark = pytest.mark.dbt

DAYS = 3
SPEC = GeneratorSpec(events=8_000, days=DAYS, seed=21, late_share=0.0)
REGISTRY_JOB = source_job_name("registry")
REGISTRY_QUALITY_JOB = quality_job_name("registry")
GX_SUITES = (
    "module_stats_daily_reconciles_with_staging",
    "module_stats_daily_volume_against_trailing_weeks",
    "language_stats_daily_distribution",
)
SNAPSHOT_MARTS = (
    "top_modules_30d",
    "trending_modules",
    "module_health_scores",
    "registry_overview",
)


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


def _warehouse_url(warehouse: Warehouse) -> AbstractContextManager[None]:
    """Points the code location's resources (ingest.warehouse.resolve) at one database, as a
    deployment configures a server: its URL and its salt."""
    return environment(WAREHOUSE_URL=warehouse.url, **{SALT_VARIABLE: "test-salt-of-a-deployment"})


@pytest.fixture(scope="module")
def location(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Location]:
    """Every source's files in a landing folder, loaded, then each day built as a partition."""
    work = tmp_path_factory.mktemp("orchestration")
    generate(SPEC, work / "landing")
    days = [SPEC.first_day + timedelta(days=n) for n in range(DAYS)]
    settings = Settings(
        work / "landing", days[0].isoformat(), restatement_days=3, owner="team:t",
        dbt_state_dir=work / "dbt-state",
    )  # fmt: skip
    with (
        fresh_database(server) as warehouse,
        dg.instance_for_test() as instance,
        _warehouse_url(warehouse),
    ):
        migrate.migrate(warehouse)
        here = Location(warehouse, instance, build_definitions(settings), settings, days, work)
        _run(here, LOAD_JOB)
        for day in days:
            _run(here, REGISTRY_JOB, partition_key=day.isoformat())
        yield here


@pytest.fixture
def copy_of(location: Location, server: Warehouse) -> Iterator[Location]:
    """The built location on a copy of its database, with a Dagster instance of its own."""
    with (
        cloned_database(server, location.warehouse) as warehouse,
        dg.instance_for_test() as instance,
        _warehouse_url(warehouse),
    ):
        yield Location(
            warehouse, instance, location.defs, location.settings, location.days, location.work
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


def test_each_source_is_one_partitioned_asset_grouped_and_checked(location: Location) -> None:
    graph = location.defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {"registry", "actions", "product", "builds", "ingest"}
    registry = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "registry"]
    models = [k for k in registry if k.path[0] != "raw"]
    # Incremental models (the two intermediate tables among them) and catalog views.
    assert len(models) == 15 + 4
    for key in models:
        assert graph.get(key).partitions_def is not None, key
    # Owners come from the dbt groups (models/_groups.yml); the location's default (the
    # settings' owner) only where no group applies: the ledger tables.
    team = "team:analytics-engineering"
    assert graph.get(dg.AssetKey(["staging", "stg_registry__download_events"])).owners == [team]
    assert graph.get(dg.AssetKey(["raw", "download_events"])).owners == [team]
    assert graph.get(dg.AssetKey(["raw", "_loads"])).owners == ["team:t"]
    manifest = json.loads(dbt_project().manifest_path.read_text())
    with_models = [source for source in REGISTERED if has_models(manifest, source)]
    with_suites = [source.name for source in declared_sources() if source.expectation_suites]
    assert REGISTRY_QUALITY_JOB in {quality_job_name(source) for source in with_suites}
    refreshed = [source.name for source in declared_sources() if source.refresh_every]
    assert {job.name for job in location.defs.jobs or []} == {LOAD_JOB} | {
        source_job_name(source) for source in with_models
    } | {quality_job_name(source) for source in with_suites} | {
        refresh_job_name(source) for source in refreshed
    }
    assert REGISTRY_JOB in {job.name for job in location.defs.jobs or []}
    check_names = {key.name for key in graph.asset_check_keys}
    assert {
        *GX_SUITES, "alert_health_score_below_50", "alert_compilation_p95_over_5s",
        "alert_download_error_rate_over_10pct",
    } <= check_names  # fmt: skip
    assert any(name.startswith("unique_combination_of_columns") for name in check_names)
    # Freshness is a policy on each asset (freshness checks are superseded), not a check.
    assert not any(name.startswith("freshness") for name in check_names)
    for key in models:
        assert graph.get(key).freshness_policy is not None, key
    # Raw tables: the limits of the registry's dbt sources YAML, the ones `dbt source
    # freshness` checks (26 hours warns, 50 fail); the catalog declares none.
    raw_policy = graph.get(dg.AssetKey(["raw", "download_events"])).freshness_policy
    assert (raw_policy.warn_window.to_timedelta(), raw_policy.fail_window.to_timedelta()) == (
        timedelta(hours=26), timedelta(hours=50)
    )  # fmt: skip
    assert graph.get(dg.AssetKey(["raw", "modules"])).freshness_policy is None


def test_each_partition_run_recorded_its_window_and_row_counts(location: Location) -> None:
    key = dg.AssetKey(["marts", "module_stats_daily"])
    assert location.instance.get_materialized_partitions(key) == {
        d.isoformat() for d in location.days
    }
    event = location.instance.get_latest_materialization_event(key)
    metadata = event.asset_materialization.metadata
    last = location.days[-1].isoformat()
    assert metadata["window"].value == f"{last} .. {last}"
    [stored] = fetch(location.warehouse, "select count(*) as n from marts.module_stats_daily")
    assert metadata["dagster/row_count"].value == stored["n"] > 0


def test_a_row_count_that_fails_is_one_warning_and_the_counting_stops(location: Location) -> None:
    """Row counts are metadata: a count that fails (a table gone while dbt still runs) logs
    one line and counts nothing more; the run's events go on without a count."""
    warnings: list[str] = []
    context = SimpleNamespace(log=SimpleNamespace(warning=warnings.append))
    nodes = {
        f"model.test.{name}": {
            "schema": "marts",
            "alias": name,
            "config": {"materialized": "table"},
        }
        for name in ("no_such_table", "module_stats_daily")
    }

    def built(name: str) -> dg.AssetMaterialization:
        return dg.AssetMaterialization(name, metadata={"unique_id": f"model.test.{name}"})

    [stored] = fetch(location.warehouse, "select count(*) as n from marts.module_stats_daily")
    with (
        _warehouse_url(location.warehouse),
        _RowCounts(context, WarehouseResource(), nodes) as counts,  # type: ignore[arg-type]
    ):
        assert counts.of(built("module_stats_daily")) == stored["n"] > 0
        assert counts.of(built("no_such_table")) is None
        assert counts.of(built("module_stats_daily")) is None
    [warning] = warnings
    assert warning.startswith("row counts not recorded: ") and "no_such_table" in warning
    assert "\n" not in warning


def test_partition_runs_log_no_warning(location: Location) -> None:
    """What a data team reads in a run's log is the work, not noise: a dbt test that Dagster
    cannot attach to an asset (on a source, or on an ephemeral model) would log a warning in
    every run and be stored as an observation nobody looks at."""
    runs = location.instance.get_runs(dg.RunsFilter(job_name=REGISTRY_JOB))
    assert len(runs) >= len(location.days)
    warnings = [
        entry.user_message
        for run in runs
        for entry in location.instance.all_logs(run.run_id)
        if entry.level >= logging.WARNING
    ]
    assert warnings == []


def test_great_expectations_imports_without_a_notice() -> None:
    """A quality run imports GX, which probes for pyspark (installed for the spark engine),
    which printed a FutureWarning about pandas 3 twice into `make demo`'s output."""
    result = subprocess.run(
        [sys.executable, "-c",
         "from orchestration.lib.expectations import great_expectations; great_expectations()"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_each_partition_stored_the_snapshots_as_of_its_day(location: Location) -> None:
    """A snapshot of a past day is a partition of the source's asset: the UI builds it."""
    for mart in SNAPSHOT_MARTS:
        rows = fetch(location.warehouse, f"select distinct as_of_date from marts.{mart}")
        assert {row["as_of_date"] for row in rows} == set(location.days), mart


def _mart_tables(warehouse: Warehouse) -> list[str]:
    rows = fetch(warehouse, "select table_name from information_schema.tables"
                            " where table_schema = 'marts' and table_type = 'BASE TABLE'"
                            " order by 1")  # fmt: skip
    return [row["table_name"] for row in rows]


def test_partition_by_partition_equals_a_full_refresh(copy_of: Location, tmp_path: Path) -> None:
    warehouse = copy_of.warehouse
    marts = _mart_tables(warehouse)
    assert len(marts) == 9
    with warehouse.cursor() as cursor:
        cursor.execute("create schema partitioned_result")
        for mart in marts:
            cursor.execute(f"create table partitioned_result.{mart} as table marts.{mart}")
    dbt = DbtProject(warehouse, tmp_path)
    dbt("seed")  # definitions as data (product funnels): `dbt run` does not load seeds
    dbt("run", "--full-refresh")
    for mart in marts:
        [row] = fetch(warehouse, f"""
            select (select count(*) from (table marts.{mart}
                    except all table partitioned_result.{mart}) as a)
                 + (select count(*) from (table partitioned_result.{mart}
                    except all table marts.{mart}) as b) as difference,
                   (select count(*) from marts.{mart}) as rows
        """)  # fmt: skip
        assert row["rows"] > 0, mart
        assert row["difference"] == 0, mart


def test_nightly_schedule_runs_yesterdays_partition(location: Location) -> None:
    schedule = location.defs.resolve_schedule_def("registry_nightly_0005_utc")
    assert schedule.cron_schedule == "5 0 * * *" and schedule.execution_timezone == "UTC"
    when = datetime.combine(location.days[-1] + timedelta(days=1), datetime.min.time(), UTC)
    context = dg.build_schedule_context(
        instance=location.instance, scheduled_execution_time=when + timedelta(minutes=5)
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == location.days[-1].isoformat()


def test_rolling_restatement_requests_the_last_days_as_one_run(location: Location) -> None:
    schedule = location.defs.resolve_schedule_def("registry_rolling_restatement")
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


def _late_file(location: Location, table: str, day: date, count: int) -> Path:
    path = location.work / f"{table}__late-{day}-{count}.csv"
    if table == "download_events":
        lines = ["event_id,downloaded_at,module_name,version,language,success"]
        lines += [
            f"late-{path.stem}-{n},{day}T12:00:00Z,late.module,v1,go,true" for n in range(count)
        ]
    else:
        lines = ["event_id,executed_at,organization_id,action_type,status,duration_ms"]
        lines += [
            f"late-{path.stem}-{n},{day}T12:00:00Z,org-1,email,success,80" for n in range(count)
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _tick(location: Location, cursor: str) -> dg.SensorExecutionData:
    sensor = location.defs.resolve_sensor_def("late_data_sensor")
    context = dg.build_sensor_context(
        instance=location.instance, cursor=cursor,
        resources={"warehouse": location.defs.resources["warehouse"]},
    )  # fmt: skip
    return sensor.evaluate_tick(context)


def test_late_data_restates_exactly_the_built_days_of_its_own_source(
    location: Location, copy_of: Location
) -> None:
    copy_of = replace(copy_of, instance=location.instance)  # it knows which days were built
    with copy_of.warehouse.cursor() as cursor:
        seen = cursor.execute("select pg_current_snapshot()::text").fetchone()[0]
    built_day, unbuilt_day = copy_of.days[1], copy_of.days[-1] + timedelta(days=1)
    for table in ("download_events", "action_results"):
        loader.load_file(copy_of.warehouse, _late_file(copy_of, table, built_day, 3))
    loader.load_file(copy_of.warehouse, _late_file(copy_of, "download_events", unbuilt_day, 2))

    first = _tick(copy_of, seen)
    [request] = first.run_requests
    assert request.job_name == REGISTRY_JOB, "a late action result restates nothing else"
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (
        built_day.isoformat(), built_day.isoformat(),
    )  # fmt: skip
    assert request.tags[REASON_TAG].startswith("late data: registry loads")
    second = _tick(copy_of, first.cursor)
    assert not second.run_requests
    assert second.skip_message

    # Only late action results: nothing to restate, whatever days they touch.
    loader.load_file(copy_of.warehouse, _late_file(copy_of, "action_results", built_day, 4))
    assert not _tick(copy_of, second.cursor).run_requests

    # The requested run restates the day: its late downloads are in the marts.
    _run(replace(copy_of, instance=dg.DagsterInstance.ephemeral()), REGISTRY_JOB, tags=request.tags)
    [row] = fetch(
        copy_of.warehouse,
        f"select download_count from marts.module_stats_daily"
        f" where module_name = 'late.module' and period_start = '{built_day}'",
    )
    assert row["download_count"] == 3


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


def _quality_run(location: Location, first: date, last: date) -> dict[str, dg.AssetCheckEvaluation]:
    result = _run(
        location, REGISTRY_QUALITY_JOB,
        tags={WINDOW_START_TAG: first.isoformat(), WINDOW_END_TAG: last.isoformat()},
    )  # fmt: skip
    return _evaluations(result)


def test_a_corrupted_mart_row_fails_its_checks_with_numbers(copy_of: Location) -> None:
    """Row-level rules are dbt tests (whole table, every partition run); the p95 alert reads
    the run's latest complete day; GX reconciles each day of its window with staging.

    Changed with issue 10: the GX suite language_stats_daily_consistency repeated dbt's own
    tests (percentile order, ranges, unique keys) and is gone; dbt's tests report the same
    corruption with its row count."""
    checks = ("alert_compilation_p95_over_5s",)
    before = _run_checks(copy_of, ["marts", "language_stats_daily"], *checks)
    go_breach = {"language": "go", "p95_duration_ms": "7500.0"}
    assert go_breach not in before[checks[0]].metadata["worst"].value
    first_day, last_day = copy_of.days[0], copy_of.days[-1]
    assert all(e.passed for e in _quality_run(copy_of, first_day, last_day).values())
    with copy_of.warehouse.cursor() as cursor:
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
        # 1000 downloads the staged events do not have, on the first day.
        cursor.execute(
            "update marts.module_stats_daily set download_count = download_count + 1000"
            " where (period_start, module_name) = (select period_start, module_name"
            "  from marts.module_stats_daily where period_start = %s order by 2 limit 1)",
            (first_day,),
        )
    after = _run_checks(copy_of, ["marts", "language_stats_daily"], *checks)
    alert = after[checks[0]]
    assert not alert.passed and alert.severity == dg.AssetCheckSeverity.WARN
    assert go_breach in alert.metadata["worst"].value

    # dbt's own tests run with a partition and check the whole table, so a partition of
    # another day still catches the corrupted first day, with the number of rows.
    run = copy_of.defs.resolve_job_def(REGISTRY_JOB).execute_in_process(
        instance=copy_of.instance, run_config=QUIET, raise_on_error=False,
        partition_key=last_day.isoformat(),
    )  # fmt: skip
    dbt_checks = _evaluations(run)
    assert not set(GX_SUITES) & dbt_checks.keys(), "GX runs in the quality job, not here"
    observed = {
        e.asset_key.path[0]
        for e in run.all_events
        if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION and e.asset_key
    }
    assert "raw" not in observed, "tests on raw tables (dbt sources) stay out of partition runs"
    for column in ("failure_rate", "p95_duration_ms"):
        failed = next(
            e for n, e in dbt_checks.items() if not e.passed and column in n and "language" in n
        )
        assert failed.metadata["dagster_dbt/failed_row_count"].value == 1, column

    # GX reconciles day by day, over the days of its run only.
    reconciliation = "module_stats_daily_reconciles_with_staging"
    whole = _quality_run(copy_of, first_day, last_day)[reconciliation]
    assert not whole.passed
    assert whole.metadata["days_validated"].value == len(copy_of.days)
    assert whole.metadata["failed_days"].value == [first_day.isoformat()]
    [(label, outcome)] = whole.metadata["failures"].value.items()
    assert label.startswith(f"{first_day}: ") and "download_difference" in label
    assert outcome["partial_unexpected_list"] == [1000]
    later = _quality_run(copy_of, copy_of.days[1], last_day)[reconciliation]
    assert later.passed and later.metadata["days_validated"].value == len(copy_of.days) - 1


def test_a_load_outside_dagster_counts_for_raw_freshness(copy_of: Location) -> None:
    """The loader's CLI writes raw._loads and nothing in Dagster: the ledger sensor reports
    each such load as a materialization of its raw table (freshness policies read those)."""
    sensor = copy_of.defs.resolve_sensor_def(LEDGER_SENSOR)
    resources = {"warehouse": copy_of.defs.resources["warehouse"]}
    with copy_of.warehouse.cursor() as cursor:
        [last_load] = cursor.execute("select max(load_id) from raw._loads").fetchone()
    context = dg.build_sensor_context(
        instance=copy_of.instance, cursor=str(last_load), resources=resources
    )
    assert sensor.evaluate_tick(context).skip_message
    late = _late_file(copy_of, "download_events", copy_of.days[0], 2)
    loader.load_file(copy_of.warehouse, late)
    tick = sensor.evaluate_tick(
        dg.build_sensor_context(
            instance=copy_of.instance, cursor=str(last_load), resources=resources
        )
    )
    [event] = tick.asset_events
    assert event.asset_key == dg.AssetKey(["raw", "download_events"])
    assert event.metadata["files"].value == [late.name]
    assert event.metadata["rows_loaded"].value == 2
    assert int(tick.cursor or 0) > last_load
    # A load Dagster already recorded (the load job materializes after loading) is not repeated.
    copy_of.instance.report_runless_asset_event(dg.AssetMaterialization(event.asset_key))
    again = dg.build_sensor_context(
        instance=copy_of.instance, cursor=str(last_load), resources=resources
    )
    assert not sensor.evaluate_tick(again).asset_events


def test_partitions_start_on_the_first_day_with_data(location: Location) -> None:
    """Without WAREHOUSE_PARTITIONS_START the UI lists no days before the first event."""
    unset = replace(location.settings, partitions_start=None)
    partitions = daily_partitions(unset, location.warehouse)
    assert partitions.start.date() == location.days[0]
    assert daily_partitions(location.settings).start.date() == location.days[0]
    override = replace(location.settings, partitions_start="2026-01-01")
    assert daily_partitions(override, location.warehouse).start.date() == date(2026, 1, 1)


def test_the_location_is_built_once_a_process_for_an_environment(location: Location) -> None:
    """`dagster job execute` asks the location for its definitions five times in one run;
    they are built once (each build checks the manifest and queries the warehouse), and built
    again when the environment they are read from changes."""
    first_day = location.days[0].isoformat()
    with _warehouse_url(location.warehouse), environment(WAREHOUSE_PARTITIONS_START=first_day):
        built = definitions.defs()
        assert definitions.defs() is built
        with environment(WAREHOUSE_PARTITIONS_START="2026-01-01"):
            later = definitions.defs()
    assert later is not built

    def start(defs: dg.Definitions) -> date:
        job = defs.resolve_job_def(REGISTRY_JOB)
        return job.partitions_def.start.date()

    assert (start(built), start(later)) == (location.days[0], date(2026, 1, 1))


def test_a_process_that_loaded_the_location_exits_without_collecting_its_heap(
    location: Location,
) -> None:
    """Python's last garbage collections over a loaded location's objects took about 0.8 s
    of every run's process after its end: the heap is frozen at exit (orchestration/lib/
    process.py), not before (a code server would never collect its cycles). A handler
    registered before the location loads runs after that freeze."""
    script = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen at exit', gc.get_freeze_count()))\n"
        "from orchestration import definitions\n"
        "definitions.defs()\n"
        "print('frozen when loaded', gc.get_freeze_count())\n"
    )
    first_day = location.days[0].isoformat()
    with _warehouse_url(location.warehouse), environment(WAREHOUSE_PARTITIONS_START=first_day):
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    frozen = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines() if "frozen" in line)
    assert int(frozen["frozen when loaded"]) == 0, result.stdout
    assert int(frozen["frozen at exit"]) > 100_000, result.stdout


def test_a_dbt_call_through_dagster_builds_no_adapter_and_writes_no_debug_log(
    location: Location, tmp_path: Path
) -> None:
    """dagster-dbt would build a dbt adapter in Dagster's own process for every call (1.5 s
    of a run's process), used only to fetch column metadata or row counts, which the project
    does not ask for: the call runs the dbt CLI alone, and still lists the source's models.
    Nor does dbt write its debug log (JSON, every statement: a second of a one-day run) into
    the call's folder, which a run removes after it."""
    target = tmp_path / "target"
    with dbt_environment(location.warehouse, {}):
        invocation = dbt_resource(dbt_project()).cli(
            ["ls", "--select", "marts.registry", "--resource-type", "model"], target_path=target
        )
        messages = [event.raw_event["info"]["msg"] for event in invocation.stream_raw_events()]
    assert invocation.is_successful()
    assert "event_warehouse.marts.registry.module_stats_daily" in messages
    assert invocation.adapter is None
    assert (target / "manifest.json").exists()
    assert not (target / "dbt.log").exists()
