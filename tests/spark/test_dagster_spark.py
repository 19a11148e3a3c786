"""WAREHOUSE_ENGINE=spark through Dagster, for real: the load job loads into PostgreSQL and
exports the loaded days to the lake, the registry's partitioned job builds on a cluster of
`make cluster`'s kind, and what Dagster reports (row counts, alerts, the GX suites' reason for
not running) comes from Spark.

The marts are compared with a recomputation from the raw rows in Python (tests/registry/
recompute.py), read through the Thrift server; a late event loaded later reaches the lake and,
after its day's partition runs again, the mart. One cluster, database and Dagster instance
for the module; the tests only read what the module's runs built, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from ingest import cluster, lake
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import SALT_VARIABLE, Warehouse
from orchestration.definitions import build_definitions
from orchestration.demo import QUIET
from orchestration.lib.jobs import LOAD_JOB, quality_job_name, source_job_name
from orchestration.lib.lake import LAKE_PREFIX, lake_tables
from orchestration.lib.partitions import WINDOW_END_TAG, WINDOW_START_TAG
from orchestration.lib.resources import spark_fetchall
from orchestration.lib.schedules import RANGE_END_TAG, RANGE_START_TAG
from orchestration.lib.settings import SPARK, Settings
from tests.databases import fresh_database
from tests.dbt_support import environment
from tests.registry import recompute

pytestmark = [pytest.mark.spark, pytest.mark.dbt]

if cluster.find_spec("pyspark") is None:
    pytest.skip("pyspark is not installed (pip install -e '.[spark]')", allow_module_level=True)

DAYS = 3
SPEC = GeneratorSpec(events=6_000, days=DAYS, seed=31, late_share=0.0)
REGISTRY_JOB = source_job_name("registry")
COUNTED = ("view_count", "download_count", "failed_download_count", "compilation_count")


@dataclass
class SparkLocation:
    warehouse: Warehouse
    instance: dg.DagsterInstance
    defs: dg.Definitions
    days: list[date]
    work: Path
    runs: dict[str, dg.ExecuteInProcessResult]


def _run(location: SparkLocation, job: str, **tags: str) -> dg.ExecuteInProcessResult:
    result = location.defs.resolve_job_def(job).execute_in_process(
        instance=location.instance, run_config=QUIET, raise_on_error=False, tags=tags or None
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def _days(location: SparkLocation) -> dict[str, str]:
    return {RANGE_START_TAG: str(location.days[0]), RANGE_END_TAG: str(location.days[-1])}


@pytest.fixture(scope="module")
def location(
    server: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkLocation]:
    """Registry files loaded and exported, then every day built on Spark in one backfill run."""
    work = tmp_path_factory.mktemp("spark-dagster")
    generate(SPEC, work / "landing", tables=tuple(SOURCES["registry"]))
    days = [SPEC.first_day + timedelta(days=n) for n in range(DAYS)]
    settings = Settings(
        work / "landing", days[0].isoformat(), restatement_days=3, owner="team:t",
        dbt_state_dir=work / "dbt-state", engine=SPARK,
    )  # fmt: skip
    variables = cluster.isolated_env(work / "spark", work / "lake")
    with (
        fresh_database(server) as warehouse,
        dg.instance_for_test() as instance,
        environment(
            WAREHOUSE_URL=warehouse.url,
            **{SALT_VARIABLE: "test-salt-of-a-deployment"},
            **variables,
            SPARK_WORKER_MEMORY="1g",
            SPARK_DRIVER_MEMORY="1g",
        ),
    ):
        spark = cluster.ClusterSettings.from_env()
        try:
            cluster.start(spark)
            here = SparkLocation(warehouse, instance, build_definitions(settings), days, work, {})
            here.runs["load"] = _run(here, LOAD_JOB)
            here.runs["build"] = _run(here, REGISTRY_JOB, **_days(here))
            yield here
        finally:
            cluster.stop(spark)


def _materialized(result: dg.ExecuteInProcessResult) -> dict[dg.AssetKey, dict[str, Any]]:
    """Each materialized asset's metadata values."""
    return {
        event.asset_key: {
            name: value.value
            for name, value in event.step_materialization_data.materialization.metadata.items()
        }
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    }


def _mart(table: str) -> dict[tuple[str, str], dict[str, int]]:
    columns = ", ".join(COUNTED)
    rows = spark_fetchall(
        f"select cast(period_start as string), module_name, {columns} from marts.{table}"
    )
    return {
        (day, module): dict(zip(COUNTED, map(int, counts), strict=True))
        for day, module, *counts in rows
    }


def _recomputed(warehouse: Warehouse) -> dict[tuple[str, str], dict[str, int]]:
    stats = recompute.module_stats(recompute.RawRegistry.read(warehouse), "day")
    return {
        (str(day), module): {c: row[c] for c in COUNTED} for (day, module), row in stats.items()
    }


def test_the_load_job_exports_every_loaded_day_to_the_lake(location: SparkLocation) -> None:
    exported = _materialized(location.runs["load"])
    lake_keys = {dg.AssetKey([LAKE_PREFIX, table]) for table in lake_tables(("registry",))}
    assert lake_keys <= exported.keys()
    root = lake.lake_dir()
    for table in ("download_events", "module_view_events"):
        with location.warehouse.cursor() as cursor:
            loaded = cursor.execute(f"select count(*) from raw.{table}").fetchone()[0]
        assert exported[dg.AssetKey([LAKE_PREFIX, table])]["rows_written"] == loaded > 0
        assert [p.name for p in lake.exported_partitions(root, table)] == [
            f"event_date={day}" for day in location.days
        ]


def test_marts_built_on_spark_equal_the_recomputation(location: SparkLocation) -> None:
    assert _mart("module_stats_daily") == _recomputed(location.warehouse)


def test_row_counts_and_alerts_come_from_spark(location: SparkLocation) -> None:
    built = _materialized(location.runs["build"])
    daily = built[dg.AssetKey(["marts", "module_stats_daily"])]
    [[rows]] = spark_fetchall("select count(*) from marts.module_stats_daily")
    assert daily["dagster/row_count"] == rows > 0
    with location.warehouse.cursor() as cursor:  # nothing of the models is in PostgreSQL
        assert (
            cursor.execute("select to_regclass('marts.module_stats_daily')").fetchone()[0] is None
        )
    checks = {
        event.event_specific_data.asset_check_key.name: event.event_specific_data
        for event in location.runs["build"].all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert {"alert_health_score_below_50", "alert_download_error_rate_over_10pct"} <= checks.keys()


def test_gx_suites_say_why_they_did_not_run(location: SparkLocation) -> None:
    result = _run(
        location,
        quality_job_name("registry"),
        **{WINDOW_START_TAG: str(location.days[0]), WINDOW_END_TAG: str(location.days[-1])},
    )
    evaluations = [
        event.event_specific_data
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert len(evaluations) == 3
    for evaluation in evaluations:
        reason = evaluation.metadata["skipped"].value
        assert reason.startswith("not evaluated: Great Expectations suites run on the postgres")


def test_a_late_event_reaches_the_lake_and_the_mart(location: SparkLocation) -> None:
    """A download of the first day in a file of a later load: the load job exports that day
    again, and the day's partition, run again, counts it (the mart equals the raw rows)."""
    first_day = location.days[0]
    [original] = (location.work / "landing").glob(f"download_events__{first_day}.csv")
    header, row, *_ = original.read_text().splitlines()
    late_row = ",".join(["dow-late-0000001", *row.split(",")[1:]])
    late = location.work / "landing" / f"download_events__{location.days[-1]}-late.csv"
    late.write_text(f"{header}\n{late_row}\n")
    before = _mart("module_stats_daily")
    _run(location, LOAD_JOB)
    partition = {RANGE_START_TAG: str(first_day), RANGE_END_TAG: str(first_day)}
    _run(location, REGISTRY_JOB, **partition)
    after = _mart("module_stats_daily")
    assert after == _recomputed(location.warehouse)
    assert sum(r["download_count"] + r["failed_download_count"] for r in after.values()) == (
        sum(r["download_count"] + r["failed_download_count"] for r in before.values()) + 1
    )
