"""Hostile and odd product events: properties of the wrong JSON type, a context that is not an
object, a category outside the seed's four, the same file twice, a server in another time zone.
Nothing is lost silently and no build fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest import loader
from ingest.warehouse import Warehouse
from tests.dbt_support import DbtProject
from tests.product import recompute_metrics
from tests.product.recompute import RawProduct, assert_every_mart_matches, fetch
from tests.product.recompute_metrics import RawMetrics

pytestmark = pytest.mark.dbt

PRODUCT_MODELS = ("staging.product", "intermediate.product", "marts.product")


def _event(number: int, at: str, name: str, **columns: Any) -> dict[str, Any]:
    return {
        "event_id": f"odd-{number}", "occurred_at": at, "event_type": "track",
        "event_name": name, "category": "usage", "session_id": "S1", "user_id": "u1",
        "is_internal": False, **columns,
    }  # fmt: skip


EVENTS = [
    # 02:00 UTC on the 2nd is still the 1st in New York: the marts' days are UTC days.
    _event(1, "2026-03-02T02:00:00Z", "session_start", category="workflow",
           properties={"referrer": None, "landing_page": "/"}, context=["not", "an object"]),
    _event(2, "2026-03-02T02:01:00Z", "doc_generation",
           properties={"success": "yes", "duration": "fast", "doc_type": ["readme"]},
           context={"device": {"nested": True}, "browser": "firefox"}),
    _event(3, "2026-03-02T02:02:00Z", "checkout_completed", category="business",
           properties={"tier": "pro", "amount": "29 dollars"}),
    _event(4, "2026-03-02T02:03:00Z", "oauth_flow", properties=[1, 2, 3]),
    _event(5, "2026-03-02T02:04:00Z", "user_interaction", category="marketing",
           properties={"action": "pricing_page_viewed"}),
]  # fmt: skip


@pytest.fixture
def new_york(warehouse: Warehouse) -> Warehouse:
    with warehouse.connect(autocommit=True) as db:
        db.execute(f"alter database \"{warehouse.dbname}\" set timezone = 'America/New_York'")
    return warehouse


def test_odd_events_load_build_and_count_as_the_definitions_say(
    new_york: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "analytics_events__odd.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    first = loader.load_file(new_york, path)
    assert (first.rows_loaded, first.rows_quarantined) == (4, 1)
    [reason] = fetch(new_york, "select reason from raw._quarantine")
    assert "category_in_seed" in reason["reason"], reason
    again = loader.load_file(new_york, path)
    assert again.rows_loaded == 0, "the same file twice changes nothing"

    DbtProject(new_york, tmp_path)("build", "--select", *PRODUCT_MODELS)

    assert_every_mart_matches(new_york, RawProduct.read(new_york))
    [session] = fetch(new_york, "select * from marts.product_sessions")
    assert (str(session["period_start"]), session["event_count"]) == ("2026-03-02", 4)
    assert (session["device"], session["browser"]) == (None, "firefox")
    [generation] = fetch(
        new_york, "select * from marts.feature_usage_daily where feature_name = 'doc_generation'"
    )
    assert (generation["avg_duration_ms"], generation["success_rate"]) == (None, None)
    [lifecycle] = fetch(new_york, "select * from marts.codescribe_lifecycle_daily")
    assert (lifecycle["checkouts"], lifecycle["checkout_amount"]) == (1, 0.0)


def _point(number: int, at: str, name: str, value: object, tags: str = "null", **more: str) -> str:
    """A line of a metrics file, its tags as raw JSON text (spacing and key order kept)."""
    columns = {"metric_type": "timer", "unit": "ms"} | more
    return (
        f'{{"event_id": "pt-{number}", "recorded_at": "{at}", "name": "{name}",'
        f' "metric_type": "{columns["metric_type"]}", "value": {json.dumps(value)},'
        f' "unit": "{columns["unit"]}", "tags": {tags}}}\n'
    )


POINTS = [
    # One tag set in two key orders and spacings: one key. 02:30 UTC is still the 1st in New
    # York: days and hours are UTC.
    _point(1, "2026-03-02T02:30:00Z", "api.request.duration", 10.0,
           '{"status": "200", "endpoint": "/api/specs"}'),
    _point(2, "2026-03-02T02:40:00Z", "api.request.duration", 30.0,
           '{"endpoint":"/api/specs","status":"200"}'),
    # A number where a string was: another tag set, not merged.
    _point(3, "2026-03-02T02:50:00Z", "api.request.duration", 50.0,
           '{"endpoint": "/api/specs", "status": 200}'),
    # Tags that are not an object, JSON null, absent; the same name as a gauge.
    _point(4, "2026-03-02T03:00:00Z", "api.request.duration", 70.0, '["a", "b"]'),
    _point(5, "2026-03-02T03:00:00Z", "api.request.duration", 90.0, "42"),
    _point(6, "2026-03-02T03:10:00Z", "users.active", -3.0, metric_type="gauge", unit="users"),
    _point(7, "2026-03-02T03:20:00Z", "api.request.duration", 5.0, "{}", metric_type="gauge"),
    # The seed's bucket boundaries exactly: lower bound inclusive.
    *(_point(10 + i, "2026-03-02T04:00:00Z", "llm.ttft_ms", v, '{"model": "haiku"}')
      for i, v in enumerate([499.999, 500.0, 1000.0, 2000.0])),
    *(_point(20 + i, "2026-03-02T04:00:00Z", "llm.tpot_ms", v) for i, v in enumerate([20.0, 60.0])),
    *(_point(30 + i, "2026-03-02T04:00:00Z", "llm.throughput_tps", v, unit="tokens/s")
      for i, v in enumerate([15.0, 30.0, 50.0, 50.001])),
    _point(40, "2026-03-02T05:00:00Z", "llm.generation_ms", 9.0, '{"doc_type": 3}'),
    _point(41, "2026-03-02T05:00:00Z", "llm.generation_ms", 8.0, '{"doc_type": ["api"]}'),
    _point(42, "2026-03-02T05:00:00Z", "llm.cache.hit", 1, metric_type="histogram"),
    _point(43, "2026-03-02T05:00:00Z", "llm.cache.hit", 0, metric_type="histogram"),
]  # fmt: skip
# Refused by the loader, each into the quarantine with its reason: not a number, no type,
# tags that are not JSON.
REFUSED = [
    _point(92, "2026-03-02T06:00:00Z", "llm.ttft_ms", 1.0, '"oops"'),
    _point(90, "2026-03-02T06:00:00Z", "llm.ttft_ms", "NaN"),
    _point(91, "2026-03-02T06:00:00Z", "llm.ttft_ms", 1.0, metric_type="telepathy"),
]


def test_odd_metric_points_load_build_and_count_as_the_definitions_say(
    new_york: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "metrics__odd.jsonl"
    path.write_text("".join(POINTS + REFUSED))
    first = loader.load_file(new_york, path)
    reasons = [r["reason"] for r in fetch(new_york, "select reason from raw._quarantine")]
    assert (first.rows_loaded, first.rows_quarantined) == (len(POINTS), len(REFUSED)), reasons
    assert loader.load_file(new_york, path).rows_loaded == 0, "the same file twice"

    DbtProject(new_york, tmp_path)("build", "--select", "stg_product__metrics+")

    assert recompute_metrics.assert_every_mart_matches(new_york, RawMetrics.read(new_york))
    rows = fetch(
        new_york,
        "select metric_type, tags, point_count, hour_start::text as hour"
        " from marts.metric_aggregates_hourly where metric_name = 'api.request.duration'"
        " and tags <> '(all)' order by point_count desc, tags",
    )
    assert {(r["metric_type"], r["tags"], r["point_count"]) for r in rows} == {
        ("timer", '{"status": "200", "endpoint": "/api/specs"}', 2),
        ("gauge", "{}", 1),
        ("timer", "42", 1),
        ("timer", '["a", "b"]', 1),
        ("timer", '{"status": 200, "endpoint": "/api/specs"}', 1),
    }
    assert rows[0]["hour"] == "2026-03-02 02:00:00"
    buckets = fetch(
        new_york,
        "select metric_name, array_agg(points order by bucket_number) as points"
        " from marts.llm_performance_buckets_daily group by 1 order by 1",
    )
    assert {b["metric_name"]: b["points"] for b in buckets} == {
        "llm.throughput_tps": [2, 1, 1, 0],  # 50 and 50.001 are "> 50"
        "llm.tpot_ms": [0, 1, 0, 1],
        "llm.ttft_ms": [1, 1, 1, 1],
    }
    doc_types = fetch(new_york, "select doc_type from marts.llm_generation_time_daily order by 1")
    assert [d["doc_type"] for d in doc_types] == ["(none)", "3"]
