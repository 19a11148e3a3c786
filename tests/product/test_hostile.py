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
from tests.product.recompute import RawProduct, assert_every_mart_matches, fetch

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
