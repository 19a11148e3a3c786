"""Builds marts against an independent recomputation from the raw events (real dbt)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.sources.builds import BUILD_ERRORS
from ingest.warehouse import Warehouse
from orchestration.defs.builds import SUITES
from orchestration.lib.expectations import Suite, validate
from tests.builds import recompute as expected
from tests.builds.recompute import RawBuilds, fetch
from tests.databases import cloned_database
from tests.dbt_support import DbtProject
from tests.sources import built_history, ending_yesterday, models_of

pytestmark = pytest.mark.dbt

BUILDS_MODELS = models_of("builds")
# Late (3%), duplicate (0.5%) and invalid (0.2%) rows, as the generator makes by default.
SPEC = ending_yesterday(events=80_000, days=35, seed=12)


@pytest.fixture(scope="module")
def built(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The builds source's generated events loaded, then `dbt build` of its models."""
    work = tmp_path_factory.mktemp("builds")
    with built_history(server, work, SPEC, "builds") as warehouse:
        yield warehouse


@pytest.fixture(scope="module")
def raw(built: Warehouse) -> RawBuilds:
    return RawBuilds.read(built)


@pytest.mark.parametrize("mart", [*expected.DAILY, "build_request_metadata", *expected.SNAPSHOTS])
def test_mart_equals_a_recomputation_from_raw_events(
    built: Warehouse, raw: RawBuilds, mart: str
) -> None:
    assert expected.assert_mart_matches(built, raw, mart) > 0


def test_the_data_exercises_every_definition(built: Warehouse, raw: RawBuilds) -> None:
    """The sample has what the marts distinguish: every status, every error type of the
    taxonomy, late events, hours with a backlog above 100, snapshots of each length."""
    assert {b["status"] for b in raw.builds} == {
        "success", "failure", "timeout", "cancelled", "building",
    }  # fmt: skip
    types = {(b["error_category"], b["error_type"]) for b in raw.builds if b["error_type"]}
    assert types == {(c, t) for c, errors in BUILD_ERRORS.items() for t in errors}
    [late] = fetch(
        built,
        "select count(*) as rows from raw.build_events as b"
        " join raw._loads as l on l.load_id = b._load_id"
        " where l.file_name > 'build_events__' || (b.started_at at time zone 'UTC')::date",
    )
    assert late["rows"] > 0
    [backlog] = fetch(
        built, "select count(*) as hours from marts.build_queue_hourly where min_queue_length > 100"
    )
    assert backlog["hours"] >= 2
    [overview] = fetch(
        built,
        "select array_agg(period_days order by period_days) as days from marts.build_overview",
    )
    assert overview["days"] == [7, 30, 90]
    unknown = [b for b in raw.builds if b["version"] == "unknown"]
    assert len(unknown) < 0.01 * len(raw.builds), "builds follow requests of their day"


def test_distinct_counts_are_exact_per_period_never_summed(built: Warehouse) -> None:
    [row] = fetch(
        built,
        "select (select sum(unique_clients) from marts.build_stats_daily"
        "        where period_start > o.as_of_date - 7) as summed, o.unique_clients,"
        " (select sum(unique_requests) from marts.build_stats_daily"
        "        where period_start > o.as_of_date - 7) as summed_requests, o.unique_requests"
        " from marts.build_overview as o where period_days = 7",
    )
    assert row["unique_clients"] < row["summed"]
    assert row["unique_requests"] < row["summed_requests"]


def test_the_seeds_questions_are_one_query_on_a_mart(built: Warehouse, raw: RawBuilds) -> None:
    """GET /stats/errors?days=7 (top errors with their affected versions) and
    /stats/diff-packages by version, each one query, against the recomputation."""
    as_of = raw.complete_through
    rows = fetch(
        built,
        "select error_category, error_type, sum(error_count) as errors,"
        " array_agg(distinct version order by version) as versions"
        " from marts.build_error_stats"
        f" where period_start > date '{as_of}' - 7 and period_start <= '{as_of}'"
        " group by 1, 2",
    )
    week = [
        b
        for b in raw.builds
        if b["status"] == "failure" and as_of - timedelta(7) < b["day"] <= as_of
    ]
    want: dict[tuple[Any, Any], set[str]] = {}
    for b in week:
        want.setdefault((b["error_category"], b["error_type"]), set()).add(b["version"])
    assert {(r["error_category"], r["error_type"]): set(r["versions"]) for r in rows} == want
    assert sum(r["errors"] for r in rows) == len(week)


def _scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "Relation Name" in plan:
        yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


def test_one_day_reads_one_partition_and_the_date_indexes(
    built: Warehouse, raw: RawBuilds, tmp_path: Path
) -> None:
    day = raw.complete_through - timedelta(days=3)
    dbt = DbtProject(built, tmp_path)
    dbt("compile", "--select", "stg_builds__builds", "build_stats_profiles",
        min_date=str(day), max_date=str(day))  # fmt: skip
    compiled = tmp_path / "target" / "compiled" / "event_warehouse" / "models"
    plans = {}
    with built.cursor() as cursor:
        cursor.execute("set enable_seqscan = off")
        for name in ("staging/builds/stg_builds__builds", "marts/builds/build_stats_profiles"):
            sql = (compiled / f"{name}.sql").read_text()
            [[plan]] = cursor.execute("explain (format json) " + sql).fetchall()
            plans[name] = list(_scans(plan[0]["Plan"]))
    staging = plans["staging/builds/stg_builds__builds"]
    assert {s["Relation Name"] for s in staging} == {f"build_events_{day:%Y_%m}"}
    assert all(s["Node Type"] != "Seq Scan" for s in staging)
    staged = [
        s for s in plans["marts/builds/build_stats_profiles"]
        if s["Relation Name"].startswith("stg_builds__")
    ]  # fmt: skip
    assert {s["Relation Name"] for s in staged} == {"stg_builds__requests", "stg_builds__builds"}
    assert all(s["Node Type"] != "Seq Scan" for s in staged), staged


def test_a_day_with_requests_but_no_build_has_no_percentiles_and_passes_its_tests(
    built: Warehouse, raw: RawBuilds, server: Warehouse, tmp_path: Path
) -> None:
    """The demo's first days had requests and no build: the day's row has zero builds and no
    percentiles (not zeros), and the build's dbt tests pass on it."""
    day = raw.complete_through - timedelta(days=2)
    with cloned_database(server, built) as copy:
        with copy.cursor() as cursor:
            cursor.execute(
                "delete from raw.build_events where (started_at at time zone 'UTC')::date = %s",
                (day,),
            )
        DbtProject(copy, tmp_path)(
            "build", "--select", *BUILDS_MODELS, min_date=str(day), max_date=str(day)
        )
        [row] = fetch(
            copy,
            "select build_count, total_requests, p50_build_duration_seconds as p50,"
            " p99_build_duration_seconds as p99"
            f" from marts.build_stats_daily where period_start = '{day}'",
        )
    assert row["build_count"] == 0 and row["total_requests"] > 0
    assert row["p50"] is None and row["p99"] is None


@pytest.mark.parametrize("suite", SUITES, ids=lambda suite: suite.name)
def test_each_quality_suite_passes_on_the_built_marts(built: Warehouse, suite: Suite) -> None:
    """The builds quality job's suites, as its run validates them (every day)."""
    result = validate(built, suite)
    assert result.passed, result.metadata["failures"]
    assert result.metadata["expectations"].value > 0
