"""The same dbt project on two engines gives the same registry numbers (issue 17).

One raw event set is loaded into PostgreSQL through the real loader, exported to a Parquet
lake (ingest/lake.py), and the registry is built by dbt on PostgreSQL and on Spark (the
spark_session target: Spark inside this process on local[2]). Every registry mart must then
be equal row for row: counts and dates exactly, decimals exactly, floats (averages,
percentiles, rates) to a relative 1e-9. Then late data: a late download on an old day and a
re-sent copy of an event are loaded, the lake re-exported (only that day), Spark runs one
incremental day, and its marts must equal a PostgreSQL full refresh.

One build of each engine is shared by the module's tests (Spark starts once per process:
its JVM and metastore live as long as the test session).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingest import lake, loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.databases import cloned_database
from tests.dbt_support import DbtProject, environment, write_jsonl

pytestmark = [pytest.mark.dbt, pytest.mark.spark]

REGISTRY = ("staging.registry", "intermediate.registry", "marts.registry")
MARTS = (
    "module_stats_daily",
    "module_stats_weekly",
    "module_stats_monthly",
    "language_stats_daily",
    "org_stats_daily",
    "top_modules_30d",
    "trending_modules",
    "module_health_scores",
    "registry_overview",
)
LAST_DAY = datetime.now(UTC).date() - timedelta(days=1)  # the last complete day
DAYS = 30
FIRST_DAY = LAST_DAY - timedelta(days=DAYS - 1)
LATE_DAY = FIRST_DAY + timedelta(days=9)
# A download's fields in a landing file (the raw table's, without the loader's own columns).
DOWNLOAD_FIELDS = ("event_id", "downloaded_at", "user_id", "organization_id", "module_name")
DOWNLOAD_FIELDS += ("version", "language", "file_size", "duration_ms", "success", "cache_hit")


@dataclass
class Engines:
    warehouse: Warehouse
    postgres: DbtProject
    spark: DbtProject
    lake_dir: Path
    spark_env: dict[str, str]

    def build(self, dbt: DbtProject, first: date, last: date, *flags: str) -> None:
        with environment(**self.spark_env):
            dbt("run", "--select", *REGISTRY, *flags, min_date=str(first), max_date=str(last))


@pytest.fixture(scope="module")
def engines(
    server: Warehouse, migrated_template: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engines]:
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java 17 runtime: apt-get install openjdk-17-jre-headless")
    work = tmp_path_factory.mktemp("spark")
    spec = GeneratorSpec(events=6_000, days=DAYS, end_date=LAST_DAY, seed=17)
    files = generate(spec, work / "landing", tables=SOURCES["registry"])
    with cloned_database(server, migrated_template) as warehouse:
        for path in files:
            loader.load_file(warehouse, path)
        spark_env = {
            "WAREHOUSE_LAKE_DIR": str(work / "lake"),
            "WAREHOUSE_SPARK_DIR": str(work / "spark"),
            "SPARK_MASTER": "local[2]",
            "SPARK_SHUFFLE_PARTITIONS": "2",
        }
        lake.export(warehouse, ["registry"], root=work / "lake")
        with environment(**spark_env):  # the spark_session profile reads them when parsing
            spark = DbtProject(warehouse, work / "spark-dbt", target="spark_session")
        engines = Engines(
            warehouse, DbtProject(warehouse, work / "postgres"), spark, work / "lake", spark_env
        )
        engines.build(engines.postgres, FIRST_DAY, LAST_DAY)
        engines.build(engines.spark, FIRST_DAY, LAST_DAY)
        yield engines


def _postgres_rows(warehouse: Warehouse, mart: str) -> tuple[list[str], list[tuple]]:
    with warehouse.cursor() as cursor:
        cursor.execute(f"select * from marts.{mart}")
        return [column.name for column in cursor.description], cursor.fetchall()


def _spark_rows(mart: str, columns: list[str]) -> tuple[list[str], list[tuple]]:
    """The mart as Spark has it (this process's session, the one dbt built with), its
    columns in PostgreSQL's order (Spark puts the partition column last)."""
    from pyspark.sql import SparkSession

    table = SparkSession.builder.getOrCreate().table(f"marts.{mart}")
    present = [column for column in columns if column in table.columns]
    rows = [tuple(row[column] for column in present) for row in table.collect()]
    return sorted(table.columns), rows


def _sort_key(row: tuple) -> tuple:
    """Rows ordered by their exact values (floats left out: they may differ in the last bits,
    and every mart's key is made of exact columns)."""
    return tuple("" if isinstance(v, float) or v is None else str(v) for v in row)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return left is not None and right is not None and Decimal(left) == Decimal(right)
    return left == right


def differences(warehouse: Warehouse, mart: str) -> list[str]:
    """What differs between the two engines' mart: columns, row count, then rows."""
    columns, expected = _postgres_rows(warehouse, mart)
    spark_columns, actual = _spark_rows(mart, columns)
    if spark_columns != sorted(columns):
        return [f"{mart}: columns {spark_columns} on Spark, {sorted(columns)} on PostgreSQL"]
    if len(actual) != len(expected):
        return [f"{mart}: {len(actual)} rows on Spark, {len(expected)} on PostgreSQL"]
    found = []
    for want, got in zip(
        sorted(expected, key=_sort_key), sorted(actual, key=_sort_key), strict=True
    ):
        for column, left, right in zip(columns, want, got, strict=True):
            if not _same(left, right):
                found.append(f"{mart}.{column}: PostgreSQL {left!r}, Spark {right!r} in {want}")
    return found[:5]


def _downloads_on(warehouse: Warehouse, day: date, module_name: str) -> int:
    with warehouse.cursor() as cursor:
        found = cursor.execute(
            "select download_count from marts.module_stats_daily"
            " where period_start = %s and module_name = %s",
            (day, module_name),
        ).fetchone()
    return found[0] if found else 0


def _a_loaded_download(warehouse: Warehouse) -> dict[str, Any]:
    """A successful download already loaded, as a landing file's fields: a template for
    events a test sends (late, re-sent, on a new day)."""
    with warehouse.cursor() as cursor:
        row = cursor.execute(
            "select * from raw.download_events where success order by event_id limit 1"
        ).fetchone()
        names = [column.name for column in cursor.description]
    loaded = dict(zip(names, row, strict=True))
    return {name: loaded[name] for name in DOWNLOAD_FIELDS}


def test_every_registry_mart_is_equal_on_both_engines(engines: Engines) -> None:
    counts = {mart: len(_postgres_rows(engines.warehouse, mart)[1]) for mart in MARTS}
    # The data reaches every mart (an empty mart on both sides would prove nothing).
    assert all(counts.values()), counts
    assert counts["top_modules_30d"] > DAYS  # one snapshot per day, many modules each
    found = [line for mart in MARTS for line in differences(engines.warehouse, mart)]
    assert not found, "\n".join(found)


def test_a_late_event_and_one_incremental_day_on_spark_equal_a_full_build(
    engines: Engines, tmp_path: Path
) -> None:
    row = _a_loaded_download(engines.warehouse)
    late = row | {
        "event_id": "late-spark-1",
        "downloaded_at": datetime.combine(LATE_DAY, datetime.min.time(), UTC) + timedelta(hours=13),
        "user_id": "late-spark-user",
    }
    # The same event again at another time: the loader quarantines it, it must count nowhere.
    resent = row | {
        "downloaded_at": datetime.combine(LATE_DAY, datetime.min.time(), UTC) + timedelta(hours=2)
    }
    before = _downloads_on(engines.warehouse, LATE_DAY, late["module_name"])
    loader.load_file(
        engines.warehouse, write_jsonl(tmp_path / "download_events__late.jsonl", [late, resent])
    )

    exported = {
        result.table: result
        for result in lake.export(engines.warehouse, ["registry"], root=engines.lake_dir)
    }
    assert exported["download_events"].partitions == 1  # only the late day is rewritten
    assert exported["module_view_events"].partitions == 0

    engines.build(engines.spark, LATE_DAY, LATE_DAY)
    engines.build(engines.postgres, FIRST_DAY, LAST_DAY, "--full-refresh")

    # One more download on that day: the late one; the re-sent copy counts nowhere.
    assert _downloads_on(engines.warehouse, LATE_DAY, late["module_name"]) == before + 1
    found = [line for mart in MARTS for line in differences(engines.warehouse, mart)]
    assert not found, "\n".join(found)


def test_a_day_first_exported_after_a_run_is_read_by_the_next(
    engines: Engines, tmp_path: Path
) -> None:
    """A run registers the lake's day folders only when the ledger names a day Spark does not
    know yet (recovering every folder costs seconds at 1,000 days): a day exported after the
    first run, here today's, must still reach the next run."""
    from pyspark.sql import SparkSession

    today = LAST_DAY + timedelta(days=1)
    event = _a_loaded_download(engines.warehouse) | {
        "event_id": "new-day-spark-1",
        "downloaded_at": datetime.combine(today, datetime.min.time(), UTC),
    }
    loader.load_file(
        engines.warehouse, write_jsonl(tmp_path / "download_events__new.jsonl", [event])
    )
    exported = lake.export(engines.warehouse, ["registry"], root=engines.lake_dir)
    assert {r.table: r.partitions for r in exported}["download_events"] == 1

    with environment(**engines.spark_env):
        engines.spark(
            "run", "--select", "stg_registry__download_events",
            min_date=str(today), max_date=str(today),
        )  # fmt: skip
    staged = SparkSession.builder.getOrCreate().sql(
        "select event_id from staging.stg_registry__download_events"
        f" where event_date = date '{today}'"
    )
    assert [r.event_id for r in staged.collect()] == ["new-day-spark-1"]
