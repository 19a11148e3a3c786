"""Registry marts against an independent recomputation from the raw events (real dbt)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

import pytest

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.warehouse import Warehouse
from tests import registry_recompute as expected
from tests.databases import fresh_database
from tests.dbt_support import DbtProject
from tests.registry_recompute import RawRegistry, assert_rows_match, close, fetch, keyed

pytestmark = pytest.mark.dbt

# Late (3%), duplicate (0.5%) and invalid (0.2%) rows, as the generator makes by default.
SPEC = GeneratorSpec(events=40_000, days=35, seed=11)


@pytest.fixture(scope="module")
def built(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Generated events for every source, loaded, then `dbt build` (models, data and unit tests)."""
    work = tmp_path_factory.mktemp("registry")
    with fresh_database(server) as warehouse:
        migrate.migrate(warehouse)
        for path in generate(SPEC, work / "landing"):
            loader.load_file(warehouse, path)
        DbtProject(warehouse, work)("build")
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


def test_completeness_follows_the_last_load(built: Warehouse, raw: RawRegistry) -> None:
    weeks = fetch(built, "select period_end, is_complete from marts.module_stats_weekly")
    assert {r["is_complete"] for r in weeks} == {True, False}
    assert all(r["is_complete"] == (r["period_end"] <= raw.complete_through) for r in weeks)


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
    assert_rows_match(
        keyed(rows, "download_rank"), keyed(expected.top_modules(raw), "download_rank"), close
    )


def test_trending_modules_equal_a_recomputation(built: Warehouse, raw: RawRegistry) -> None:
    rows = fetch(built, "select * from marts.trending_modules")
    want = expected.trending(raw)
    assert want, "the generated data has growing modules"
    assert_rows_match(keyed(rows, "trend_rank"), keyed(want, "trend_rank"), close)


def test_overview_equals_a_recomputation(built: Warehouse, raw: RawRegistry) -> None:
    [row] = fetch(built, "select * from marts.registry_overview")
    assert row["as_of_date"] == raw.complete_through
    assert_rows_match({1: row}, {1: expected.overview(raw)}, close)


def test_health_scores_equal_a_recomputation(built: Warehouse, raw: RawRegistry) -> None:
    rows = fetch(built, "select * from marts.module_health_scores")
    assert_rows_match(keyed(rows, "module_name", "version"), expected.health_scores(raw), close)
    assert {r["formula_version"] for r in rows} == {"health-v1"}
