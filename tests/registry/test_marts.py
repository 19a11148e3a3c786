"""Registry marts against an independent recomputation from the raw events (real dbt)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from ingest import access
from ingest.warehouse import PROJECT_ROOT, Warehouse
from tests.databases import cloned_database
from tests.dbt_support import DbtProject
from tests.recompute import assert_rows_match, close, fetch, keyed
from tests.registry import recompute as expected
from tests.registry.recompute import RawRegistry
from tests.sources import built_history, ending_yesterday

pytestmark = pytest.mark.dbt

MODELS_YAML = (
    PROJECT_ROOT / "dbt_project" / "models" / "marts" / "registry" / "_registry__models.yml"
)
SNAPSHOT_MARTS = (
    "top_modules_30d",
    "trending_modules",
    "module_health_scores",
    "registry_overview",
)
# Late (3%), duplicate (0.5%) and invalid (0.2%) rows, as the generator makes by default.
SPEC = ending_yesterday(events=40_000, days=35, seed=11)


@pytest.fixture(scope="module")
def built(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Generated events for every source, loaded, then `dbt build` (models, data and unit tests)."""
    work = tmp_path_factory.mktemp("registry")
    with built_history(server, work, SPEC) as warehouse:
        yield warehouse


@pytest.fixture(scope="module")
def raw(built: Warehouse) -> RawRegistry:
    return RawRegistry.read(built)


@pytest.mark.parametrize("grain", ["daily", "weekly", "monthly"])
def test_module_stats_equal_a_recomputation_from_raw_events(
    built: Warehouse, raw: RawRegistry, grain: str
) -> None:
    mart = keyed(
        fetch(built, f"select * from marts.module_stats_{grain}"), "period_start", "module_name"
    )
    want = expected.module_stats(raw, {"daily": "day", "weekly": "week", "monthly": "month"}[grain])
    assert_rows_match(mart, want, close)


def test_weekly_additive_metrics_are_the_sum_of_days_but_distinct_counts_are_not(
    built: Warehouse,
) -> None:
    daily = fetch(built, "select * from marts.module_stats_daily")
    weekly = keyed(
        fetch(built, "select * from marts.module_stats_weekly"), "period_start", "module_name"
    )
    sums: dict[tuple[date, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in daily:
        week = expected.period_start(row["period_start"], "week")
        for metric in (
            "view_count",
            "download_count",
            "compilation_count",
            "total_download_bytes",
            "unique_users",
        ):
            sums[(week, row["module_name"])][metric] += row[metric]
    assert sums.keys() == weekly.keys()
    summed_users_exceed_distinct = 0
    for key, totals in sums.items():
        for metric in ("view_count", "download_count", "compilation_count", "total_download_bytes"):
            assert weekly[key][metric] == totals[metric], (key, metric)
        assert weekly[key]["unique_users"] <= totals["unique_users"]
        summed_users_exceed_distinct += weekly[key]["unique_users"] < totals["unique_users"]
    assert summed_users_exceed_distinct > 0, "returning users make the sum of days overcount"


def test_a_period_is_complete_only_when_the_data_covers_it_whole(
    built: Warehouse, raw: RawRegistry
) -> None:
    for grain in ("weekly", "monthly"):
        periods = fetch(
            built, f"select distinct period_start, period_end, is_complete"
            f" from marts.module_stats_{grain}",
        )  # fmt: skip
        covered = [
            r["period_start"] >= raw.first_event_day and r["period_end"] <= raw.complete_through
            for r in periods
        ]
        assert [r["is_complete"] for r in periods] == covered, grain
    # The data starts mid-month: that month is incomplete though it ended long ago.
    first_month = raw.first_event_day.replace(day=1)
    assert raw.first_event_day != first_month
    [month] = fetch(
        built,
        f"select bool_or(is_complete) as complete from marts.module_stats_monthly"
        f" where period_start = '{first_month}'",
    )
    assert month["complete"] is False


def test_language_stats_and_percentiles_equal_a_recomputation(
    built: Warehouse, raw: RawRegistry
) -> None:
    mart = keyed(
        fetch(built, "select * from marts.language_stats_daily"), "period_start", "language"
    )
    assert_rows_match(mart, expected.language_stats(raw), close)


def test_org_stats_equal_a_recomputation(built: Warehouse, raw: RawRegistry) -> None:
    mart = keyed(
        fetch(built, "select * from marts.org_stats_daily"), "period_start", "organization_id"
    )
    assert_rows_match(mart, expected.org_stats(raw), close)


def test_top_modules_equal_a_recomputation(built: Warehouse, raw: RawRegistry) -> None:
    rows = fetch(built, "select * from marts.top_modules_30d")
    assert {r["as_of_date"] for r in rows} == {raw.complete_through}
    want = expected.top_modules(raw, raw.complete_through)
    assert_rows_match(keyed(rows, "download_rank"), keyed(want, "download_rank"), close)


def test_trending_modules_equal_a_recomputation(built: Warehouse, raw: RawRegistry) -> None:
    rows = fetch(built, "select * from marts.trending_modules")
    want = expected.trending(raw, raw.complete_through)
    assert any(r["trend_rank"] for r in want), "the generated data has growing modules"
    assert any(r["growth_rank"] for r in want), "and modules growing from a previous week"
    assert_rows_match(keyed(rows, "module_name"), keyed(want, "module_name"), close)


def test_overview_equals_a_recomputation(built: Warehouse, raw: RawRegistry) -> None:
    [row] = fetch(built, "select * from marts.registry_overview")
    assert row["as_of_date"] == raw.complete_through
    assert_rows_match({1: row}, {1: expected.overview(raw, raw.complete_through)}, close)


def test_health_scores_equal_a_recomputation(built: Warehouse, raw: RawRegistry) -> None:
    rows = fetch(built, "select * from marts.module_health_scores")
    want = expected.health_scores(raw, raw.complete_through)
    assert_rows_match(keyed(rows, "module_name", "version"), want, close)
    assert {r["formula_version"] for r in rows} == {"health-v1"}


def _scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "Relation Name" in plan:
        yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


def _explain(warehouse: Warehouse, compiled: Path) -> list[dict[str, Any]]:
    """The scans PostgreSQL would run for a compiled model (sequential scans discouraged, so a
    scan that cannot use an index shows as one)."""
    with warehouse.cursor() as cursor:
        cursor.execute("set enable_seqscan = off")
        [[plan]] = cursor.execute("explain (format json) " + compiled.read_text()).fetchall()
    return list(_scans(plan[0]["Plan"]))


def test_one_day_reads_one_partition_and_the_date_indexes(
    built: Warehouse, raw: RawRegistry, tmp_path: Path
) -> None:
    day = raw.complete_through - timedelta(days=3)
    dbt = DbtProject(built, tmp_path)
    dbt("compile", "--select", "stg_registry__download_events", "module_stats_daily",
        min_date=str(day), max_date=str(day))  # fmt: skip
    compiled = tmp_path / "target" / "compiled" / "event_warehouse" / "models"

    staging = _explain(built, compiled / "staging/registry/stg_registry__download_events.sql")
    assert {scan["Relation Name"] for scan in staging} == {f"download_events_{day:%Y_%m}"}, (
        "only the day's monthly partition of raw is read"
    )
    assert all(scan["Node Type"] != "Seq Scan" for scan in staging)

    # The rollup reads the three staging tables through the one activity model (and two of
    # them directly): each scan is an index range on event_date.
    rollup = _explain(built, compiled / "marts/registry/module_stats_daily.sql")
    staged = [scan for scan in rollup if scan["Relation Name"].startswith("stg_registry__")]
    assert {scan["Relation Name"] for scan in staged} == {
        "stg_registry__download_events", "stg_registry__module_view_events",
        "stg_registry__compilation_events",
    }  # fmt: skip
    for scan in staged:
        assert scan["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), scan
        condition = scan.get("Index Cond") or scan.get("Recheck Cond") or ""
        assert "event_date" in condition and str(day) in condition, scan


def test_snapshot_marts_honour_a_requested_day_however_they_are_selected(
    built: Warehouse, server: Warehouse, raw: RawRegistry, tmp_path: Path
) -> None:
    """Only the snapshot marts, a past day given as the README writes it (an unquoted YAML
    date): that day's snapshots, equal to the recomputation; a later plain build keeps them
    and adds the latest day's, nothing under the wrong day."""
    day = raw.complete_through - timedelta(days=9)
    with cloned_database(server, built) as warehouse:
        dbt = DbtProject(warehouse, tmp_path)
        dbt("build", "--select", *SNAPSHOT_MARTS, "--vars", f"{{as_of_date: {day}}}")
        dbt("build", "--select", "marts.registry")
        dbt("run", "--vars", f"{{min_date: {day}, max_date: {day}}}")  # as the README writes it
        for mart in SNAPSHOT_MARTS:
            assert expected.stored_snapshot_days(warehouse, mart) == [
                day, raw.complete_through,
            ], mart  # fmt: skip
        health = fetch(
            warehouse, f"select * from marts.module_health_scores where as_of_date = '{day}'"
        )
        want = expected.health_scores(raw, day)
        assert_rows_match(keyed(health, "module_name", "version"), want, close)
        expected.assert_every_mart_matches(warehouse, raw)


def _shift_registry_loads(warehouse: Warehouse, days: int) -> None:
    """Moves the registry's load times, and so its last complete day, by whole days."""
    with warehouse.cursor() as cursor:
        cursor.execute(
            "update raw._loads set finished_at = finished_at + make_interval(days => %s)"
            " where source = 'registry'",
            (days,),
        )


def test_a_snapshot_day_requested_before_it_is_complete_is_built_once_it_is(
    built: Warehouse, server: Warehouse, raw: RawRegistry, tmp_path: Path
) -> None:
    day = raw.complete_through - timedelta(days=1)
    with cloned_database(server, built) as warehouse:
        dbt = DbtProject(warehouse, tmp_path)
        _shift_registry_loads(warehouse, -3)  # the loads of the last three days not in yet
        dbt("run", "--select", *SNAPSHOT_MARTS, min_date=str(day), max_date=str(day))
        for mart in SNAPSHOT_MARTS:
            assert day not in expected.stored_snapshot_days(warehouse, mart), mart
        _shift_registry_loads(warehouse, 3)  # they arrive: the day is complete
        dbt("run", "--select", *SNAPSHOT_MARTS)
        for mart in SNAPSHOT_MARTS:
            assert expected.stored_snapshot_days(warehouse, mart) == [
                day, raw.complete_through,
            ], mart  # fmt: skip
        expected.assert_every_mart_matches(warehouse, raw)


def test_a_snapshot_recomputed_empty_keeps_no_stale_rows(
    built: Warehouse, server: Warehouse, raw: RawRegistry, tmp_path: Path
) -> None:
    """delete+insert deletes what the run rebuilt, not only the keys of its new rows."""
    before_the_data = raw.first_event_day - timedelta(days=3)
    with cloned_database(server, built) as warehouse:
        dbt = DbtProject(warehouse, tmp_path)
        with warehouse.cursor() as cursor:
            cursor.execute(
                "insert into marts.trending_modules (as_of_date, trend_rank, module_name,"
                " current_downloads, previous_downloads, trend_score, is_new)"
                " values (%s, 1, 'stale.module', 40, 0, 2.0, true)",
                (before_the_data,),
            )
        dbt("run", "--select", "trending_modules", "--vars", f"{{as_of_date: {before_the_data}}}")
        assert before_the_data not in expected.stored_snapshot_days(warehouse, "trending_modules")


def test_the_reader_reads_every_mart_and_nothing_upstream(
    built: Warehouse, server: Warehouse
) -> None:
    """The role BI tools log in as (`make dsn`), over TCP: every registry mart the build made,
    a mart added later too (default privileges), no staging, intermediate or raw table."""
    with built.connect() as connection:
        marts = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' order by 1"
            )
        ]
    registry_marts = {
        *SNAPSHOT_MARTS, "language_stats_daily", "org_stats_daily",
        "module_stats_daily", "module_stats_weekly", "module_stats_monthly",
    }  # fmt: skip
    assert registry_marts <= set(marts), marts
    with cloned_database(server, built) as warehouse:
        reader = access.reader_login(warehouse)
        with warehouse.cursor() as cursor:
            cursor.execute("create table marts.added_later as select 1 as x")
        with reader.connect() as connection:
            for mart in [*marts, "added_later"]:
                assert connection.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            for table in ("staging.stg_registry__download_events", "raw._loads"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(f"select 1 from {table} limit 1")
                connection.rollback()


@pytest.mark.parametrize("mart", SNAPSHOT_MARTS)
def test_each_snapshot_mart_has_a_view_of_its_newest_snapshot(built: Warehouse, mart: str) -> None:
    """`<mart>_latest`: what a BI tool reads instead of `where as_of_date = max(as_of_date)`."""
    [newest] = fetch(
        built,
        f"select max(as_of_date) as day, count(*) filter (where as_of_date ="
        f" (select max(as_of_date) from marts.{mart})) as rows from marts.{mart}",
    )
    latest = fetch(
        built, f"select as_of_date, count(*) as rows from marts.{mart}_latest group by 1"
    )
    assert newest["rows"] > 0
    assert latest == [{"as_of_date": newest["day"], "rows": newest["rows"]}]


def test_descriptions_reach_the_database_for_bi_tools(built: Warehouse) -> None:
    """persist_docs: each mart's description and its columns' are comments a BI tool shows;
    the latest view says what it is."""
    models = yaml.safe_load(MODELS_YAML.read_text())["models"]
    daily = next(model for model in models if model["name"] == "module_stats_daily")
    column = next(c for c in daily["columns"] if c["name"] == "download_count")
    [row] = fetch(
        built,
        "select obj_description('marts.module_stats_daily'::regclass) as mart,"
        " col_description('marts.module_stats_daily'::regclass, a.attnum) as col,"
        " obj_description('marts.top_modules_30d_latest'::regclass) as latest"
        " from pg_attribute as a"
        " where a.attrelid = 'marts.module_stats_daily'::regclass"
        " and a.attname = 'download_count'",
    )
    assert " ".join(row["mart"].split()) == " ".join(daily["description"].split())
    assert " ".join(row["col"].split()) == " ".join(column["description"].split())
    assert row["latest"].startswith("The newest snapshot of top_modules_30d")
