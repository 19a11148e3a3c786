"""Actions operations: retention drops whole raw partitions of action_results past 90 days
while the marts keep their history; the seed's alerts fire on what crosses their thresholds
(real dbt, real Dagster)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest.generator import GeneratorSpec
from ingest.warehouse import Warehouse
from orchestration.defs.actions import RETENTION, THRESHOLDS
from orchestration.lib.alerts import evaluate
from orchestration.lib.retention import expired_partitions
from tests.actions.recompute import fetch
from tests.databases import cloned_database
from tests.dbt_support import DbtProject, environment
from tests.retention import run_retention
from tests.sources import built_history, models_of

pytestmark = pytest.mark.dbt

ACTIONS_MODELS = models_of("actions")
HISTORY_MARTS = ("action_metrics_hourly", "action_stats_daily", "trigger_stats_daily",
                 "action_org_usage_daily", "action_error_stats_daily")  # fmt: skip
SPEC = GeneratorSpec(events=80_000, days=150, seed=19)  # past the 90-day limit


@pytest.fixture(scope="module")
def built(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    work = tmp_path_factory.mktemp("actions-operations")
    with built_history(server, work, SPEC, "actions", command="run") as warehouse:
        yield warehouse


@pytest.fixture
def copy(built: Warehouse, server: Warehouse) -> Iterator[Warehouse]:
    with cloned_database(server, built) as warehouse:
        yield warehouse


def _oldest_day(warehouse: Warehouse) -> date:
    [row] = fetch(
        warehouse,
        "select min((executed_at at time zone 'UTC')::date) as day from raw.action_results",
    )
    return row["day"]


def _history(warehouse: Warehouse) -> dict[str, list[dict]]:
    return {
        mart: fetch(warehouse, f"select * from marts.{mart} order by 1, 2, 3, 4")
        for mart in HISTORY_MARTS
    }


def test_retention_drops_whole_partitions_and_the_marts_keep_their_history(
    copy: Warehouse, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    [rule] = RETENTION
    assert expired_partitions(copy, rule, now), "the history is older than 90 days"
    history = _history(copy)
    result = run_retention("actions", RETENTION, copy)
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    dropped = result.asset_materializations_for_node("actions_raw_retention")[0].metadata
    assert dropped["dropped_partitions"].value > 0
    cutoff = rule.cutoff(now).date()
    assert cutoff.replace(day=1) <= _oldest_day(copy) <= cutoff
    assert not expired_partitions(copy, rule, now)
    # A bare run after the drop changes no rollup: their history stays.
    DbtProject(copy, tmp_path)("run", "--select", *ACTIONS_MODELS)
    assert _history(copy) == history
    with environment(ACTIONS_RETENTION_DAYS="30"):
        assert expired_partitions(copy, rule, now)


def _rebuild_health(warehouse: Warehouse, work: Path, status: str, duration_ms: int) -> None:
    """Every staged action of the health summary's 24 hours set to one status and duration,
    then the summary rebuilt by dbt (the alerts read its flags)."""
    with warehouse.cursor() as cursor:
        cursor.execute(
            "update staging.stg_actions__action_results set status = %(status)s,"
            " is_success = %(status)s = 'success', is_failure = %(status)s <> 'success',"
            " duration_ms = %(duration)s where executed_at > (select window_end"
            " - interval '24 hours' from marts.action_system_health)",
            {"status": status, "duration": duration_ms},
        )
    DbtProject(warehouse, work)("run", "--select", "action_system_health")


def test_each_alert_fires_on_what_crosses_its_threshold(copy: Warehouse, tmp_path: Path) -> None:
    by_name = {threshold.name: threshold for threshold in THRESHOLDS}
    _rebuild_health(copy, tmp_path, "success", 1000)  # p95 exactly 1,000 ms: no alert
    quiet = {name: evaluate(copy, threshold).passed for name, threshold in by_name.items()}
    assert quiet == dict.fromkeys(by_name, True)
    _rebuild_health(copy, tmp_path, "failure", 1001)
    fired = {name: evaluate(copy, threshold) for name, threshold in by_name.items()}
    assert {name: r.passed for name, r in fired.items()} == dict.fromkeys(by_name, False)
    breach = fired["alert_action_p95_over_1000ms"].metadata["worst"].value
    assert breach[0]["p95_duration_ms"] == "1001.0"
