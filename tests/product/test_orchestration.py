"""The product source through Dagster for real: its partitioned asset (the funnel seed
included) builds day by day, the day's checks run, and the marts equal the recomputation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from orchestration.definitions import build_definitions
from orchestration.demo import QUIET
from orchestration.lib.jobs import source_job_name
from orchestration.lib.settings import Settings
from tests.databases import fresh_database
from tests.product import recompute_metrics
from tests.product.recompute import RawProduct, assert_every_mart_matches
from tests.product.recompute_metrics import RawMetrics
from tests.test_orchestration import _warehouse_url

pytestmark = pytest.mark.dbt

# Ends three days ago: the sessions of its last evening run on into the next day, which is a
# partition too.
SPEC = GeneratorSpec(
    events=10_000, days=2, seed=31, end_date=datetime.now(UTC).date() - timedelta(days=3)
)


@pytest.fixture
def warehouse_url(server: Warehouse) -> Iterator[Warehouse]:
    with fresh_database(server) as warehouse, _warehouse_url(warehouse):
        migrate.migrate(warehouse)
        yield warehouse


def test_partition_runs_build_the_product_marts(warehouse_url: Warehouse, tmp_path: Path) -> None:
    warehouse = warehouse_url
    for path in generate(SPEC, tmp_path / "landing", tables=SOURCES["product"]):
        if not path.stem.endswith("__catalog"):
            loader.load_file(warehouse, path)
    settings = Settings(
        tmp_path / "landing", SPEC.first_day.isoformat(), 3, "team:t", tmp_path / "dbt-state"
    )
    defs = build_definitions(settings)
    job = defs.resolve_job_def(source_job_name("product"))
    checks: dict[str, bool] = {}
    with dg.instance_for_test() as instance:
        for offset in range(SPEC.days + 1):
            day = SPEC.first_day + timedelta(days=offset)
            result = job.execute_in_process(
                instance=instance, run_config=QUIET, raise_on_error=False,
                partition_key=day.isoformat(),
            )  # fmt: skip
            assert result.success, [e.message for e in result.all_events if e.is_failure]
            for evaluation in result.get_asset_check_evaluations():
                checks[evaluation.check_name] = evaluation.passed
        materialized = {key.path[-1] for key in instance.get_asset_keys() if key.path[0] == "marts"}
    assert {
        "funnel_conversions", "product_sessions", "alert_product_daily_events_over_10k",
        "metric_aggregates_weekly", "llm_prompt_cache_daily", "alert_llm_ttft_p95_over_2s",
        "alert_llm_cache_hit_rate_under_target",
    } <= (materialized | set(checks))  # fmt: skip
    assert checks["alert_product_daily_events_over_10k"] is True
    assert checks["alert_llm_cache_hit_rate_under_target"] is True
    # Every file was loaded first, so the day-by-day partition runs (each rebuilding the days
    # of sessions its day touches) leave every mart equal to the recomputation.
    assert_every_mart_matches(warehouse, RawProduct.read(warehouse))
    recompute_metrics.assert_every_mart_matches(warehouse, RawMetrics.read(warehouse))
