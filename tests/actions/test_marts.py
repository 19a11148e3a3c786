"""Actions marts against an independent recomputation from the raw events (real dbt), and
the seed's own test list: percentiles ordered, the edges of the 24-hour window, shares adding
up to 100, no division by zero, NULL and empty error messages, personal data reduced."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec
from ingest.warehouse import Warehouse
from orchestration.defs.actions import SUITES
from orchestration.lib.expectations import Suite, validate
from tests.actions import recompute as expected
from tests.actions.recompute import RawActions, fetch
from tests.databases import cloned_database
from tests.dbt_support import DbtProject, write_jsonl
from tests.sources import built_history, models_of

pytestmark = pytest.mark.dbt

ACTIONS_MODELS = models_of("actions")
# Late (3%), duplicate (0.5%) and invalid (0.2%) rows, as the generator makes by default;
# ends yesterday, as a live source does.
SPEC = GeneratorSpec(events=250_000, days=40, seed=13)
ROLLUPS_WITH_PERCENTILES = (
    "action_metrics_hourly", "action_stats_hourly", "action_stats_daily",
    "trigger_stats_daily", "action_org_usage_daily",
)  # fmt: skip


@pytest.fixture(scope="module")
def built(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The actions source's generated events loaded, then `dbt build` of its models."""
    work = tmp_path_factory.mktemp("actions")
    with built_history(server, work, SPEC, "actions") as warehouse:
        yield warehouse


@pytest.fixture(scope="module")
def raw(built: Warehouse) -> RawActions:
    return RawActions.read(built)


@pytest.mark.parametrize("mart", expected.MARTS)
def test_mart_equals_a_recomputation_from_raw_events(
    built: Warehouse, raw: RawActions, mart: str
) -> None:
    assert expected.assert_mart_matches(built, raw, mart) > 0


def test_the_data_exercises_every_definition(built: Warehouse, raw: RawActions) -> None:
    """Every status, idle and unhealthy triggers, late events, slow actions, personal data."""
    assert {r["status"] for r in raw.results} == {"success", "failure", "timeout", "retrying"}
    [health] = fetch(
        built,
        "select count(*) filter (where is_idle) as idle,"
        " count(*) filter (where is_idle and last_executed_at is null) as never,"
        " count(*) filter (where is_low_success_rate) as low,"
        " count(*) filter (where is_high_retry_rate) as retrying,"
        " count(*) filter (where success_rate is null) as no_rate"
        " from marts.trigger_performance_summary",
    )
    assert health["never"] > 0 and health["idle"] > health["never"], health
    assert health["low"] > 0 and health["retrying"] > 0 and health["no_rate"] > 0, health
    [late] = fetch(
        built,
        "select count(*) as rows from raw.action_results as a"
        " join raw._loads as l on l.load_id = a._load_id"
        " where l.file_name > 'action_results__' || (a.executed_at at time zone 'UTC')::date",
    )
    assert late["rows"] > 0
    assert any(r["duration_ms"] > 1000 for r in raw.results)
    assert any("@" in (r["error_message"] or "") for r in fetch(
        built, "select error_message from raw.action_results where error_message like '%@%'"
    ))  # fmt: skip


def test_personal_data_never_reaches_a_mart(built: Warehouse) -> None:
    """E-mail addresses in raw error messages and response data: none in staging or marts,
    the message groups as `<email>`, the recipient is only its salted hash."""
    [leaks] = fetch(
        built,
        "select (select count(*) from staging.stg_actions__action_results"
        "        where error_message like '%@%' or response_data::text like '%@%') as staged,"
        " (select count(*) from marts.recent_failures"
        "        where error_message like '%@%' or response_data::text like '%@%') as recent,"
        " (select count(*) from marts.action_error_stats_daily"
        "        where error_message like '%@%') as errors,"
        " (select count(*) from marts.action_error_stats_daily"
        "        where error_message = 'invalid recipient <email>') as grouped,"
        " (select count(*) from staging.stg_actions__action_results"
        "        where response_data ? 'recipient_hash') as hashed",
    )
    assert leaks["staged"] == leaks["recent"] == leaks["errors"] == 0, leaks
    assert leaks["grouped"] > 0 and leaks["hashed"] > 0, leaks


@pytest.mark.parametrize("mart", ROLLUPS_WITH_PERCENTILES)
def test_percentiles_are_ordered(built: Warehouse, mart: str) -> None:
    [row] = fetch(
        built,
        "select count(*) as rows, count(*) filter (where not (min_duration_ms <= p50_duration_ms"
        " and p50_duration_ms <= p95_duration_ms and p95_duration_ms <= p99_duration_ms"
        f" and p99_duration_ms <= max_duration_ms)) as disordered from marts.{mart}",
    )
    assert row["rows"] > 0 and row["disordered"] == 0, row


def test_shares_add_up_to_100_and_rates_never_divide_by_zero(built: Warehouse) -> None:
    [shares] = fetch(
        built,
        "select sum(share_pct) as total, count(*) as types from marts.action_type_distribution",
    )
    assert shares["types"] == 3 and abs(shares["total"] - 100) < 1e-9
    idle = fetch(
        built,
        "select execution_count, success_rate, avg_retries, p95_duration_ms, latency_rank"
        " from marts.trigger_performance_summary where execution_count = 0",
    )
    assert idle and all(
        r["success_rate"] is None and r["avg_retries"] is None and r["latency_rank"] is None
        for r in idle
    )


def _result(event_id: str, moment: datetime, status: str, message: str | None) -> dict[str, Any]:
    return {
        "event_id": event_id, "executed_at": moment.isoformat(), "trigger_id": "trg-0000",
        "organization_id": "org-0000", "action_type": "webhook", "status": status,
        "duration_ms": 100, "retry_count": 0, "error_message": message,
        "response_data": None,
    }  # fmt: skip


def test_edges_of_the_24_hour_window(built: Warehouse, server: Warehouse, tmp_path: Path) -> None:
    """A failure exactly 24 hours before the newest action is out, a millisecond later is in;
    a result dated in the future moves nothing; an empty message is no message."""
    with cloned_database(server, built) as warehouse:
        [now] = fetch(warehouse, "select date_trunc('milliseconds', now()) as now")
        newest = now["now"].astimezone(UTC) - timedelta(minutes=1)
        start = newest - timedelta(hours=24)
        rows = [
            _result("edge-newest", newest, "success", None),
            _result("edge-out", start, "failure", "connection refused"),
            _result("edge-in", start + timedelta(milliseconds=1), "timeout", ""),
            _result("edge-future", now["now"] + timedelta(hours=2), "failure", "rate limited"),
        ]
        loader.load_file(warehouse, write_jsonl(tmp_path / "action_results__edges.jsonl", rows))
        DbtProject(warehouse, tmp_path)("run", "--select", *ACTIONS_MODELS)
        recent = {r["event_id"]: r for r in fetch(warehouse, "select * from marts.recent_failures")}
        assert "edge-in" in recent and "edge-out" not in recent and "edge-future" not in recent
        assert recent["edge-in"]["error_message"] is None
        assert recent["edge-in"]["window_end"] == newest
        raw = RawActions.read(warehouse)
        assert raw.reference == newest
        for mart in ("recent_failures", "action_system_health", "trigger_performance_summary"):
            expected.assert_mart_matches(warehouse, raw, mart)


def test_a_server_in_another_time_zone_gives_the_same_marts(
    built: Warehouse, server: Warehouse, raw: RawActions, tmp_path: Path
) -> None:
    """Days, hours and weeks are UTC whatever the server's time zone."""
    with cloned_database(server, built) as warehouse:
        with warehouse.cursor() as cursor:
            cursor.execute(f"alter database \"{warehouse.dbname}\" set timezone = 'Asia/Kolkata'")
        DbtProject(warehouse, tmp_path)("run", "--select", *ACTIONS_MODELS, "--full-refresh")
        [zone] = fetch(warehouse, "show timezone")
        assert zone["TimeZone"] == "Asia/Kolkata"
        for mart in expected.MARTS:
            expected.assert_mart_matches(warehouse, raw, mart)


@pytest.mark.parametrize("suite", SUITES, ids=lambda suite: suite.name)
def test_each_quality_suite_passes_on_the_built_marts(built: Warehouse, suite: Suite) -> None:
    """The actions quality job's suites (Great Expectations), as its run validates them."""
    result = validate(built, suite)
    assert result.passed, result.metadata["failures"]
    assert result.metadata["expectations"].value > 0


def test_a_warehouse_without_actions_builds_every_actions_mart_empty(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """Before the first action is loaded there is no reference time: the sliding marts are
    empty (the health mart once failed on a row of NULLs), and the build passes its tests."""
    DbtProject(warehouse, tmp_path)("build", "--select", *ACTIONS_MODELS)
    for mart in ("action_system_health", "recent_failures", "action_type_distribution"):
        [row] = fetch(warehouse, f"select count(*) as rows from marts.{mart}")
        assert row["rows"] == 0, mart
