"""funnel_conversions against conversions computed by hand from a few sessions: steps in
order, within the window, across midnight (the next day's events arriving in a later file and
built as that day's partition), internal sessions left out, breakdowns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest import loader
from ingest.warehouse import Warehouse
from tests.dbt_support import DbtProject
from tests.product.recompute import fetch

pytestmark = pytest.mark.dbt

PRODUCT_MODELS = ("staging.product", "intermediate.product", "marts.product")
DAY, NEXT_DAY = "2026-03-02", "2026-03-03"
_number = iter(range(1, 1000))


def _event(
    session: str, at: str, name: str, user: str | None = None, **properties: Any
) -> dict[str, Any]:
    day = NEXT_DAY if at.startswith("+") else DAY
    return {
        "event_id": f"hand-{next(_number):03d}",
        "occurred_at": f"{day}T{at.lstrip('+')}:00Z",
        "event_type": "track",
        "event_name": name,
        "category": "workflow" if name != "doc_generation" else "usage",
        "session_id": session,
        "user_id": user,
        "properties": properties,
        "is_internal": user == "staff",
    }


SESSIONS = [
    # A: every step in order; the first generation fails, the second succeeds.
    _event("A", "10:00", "session_start", "u1"),
    _event("A", "10:05", "code_input", "u1", origin="paste", language="python"),
    _event("A", "10:10", "doc_generation", "u1", success=False, doc_type="readme"),
    _event("A", "10:12", "doc_generation", "u1", success=True, doc_type="readme"),
    _event("A", "10:20", "doc_export", "u1", action="copy"),
    # B: anonymous; generates before loading code, so it stops at code_input.
    _event("B", "11:00", "session_start"),
    _event("B", "11:01", "doc_generation", success=True, doc_type="api"),
    _event("B", "11:02", "code_input", origin="upload", language="go"),
    # C: starts at 23:30 and finishes after midnight, within the 120-minute window.
    _event("C", "23:30", "session_start", "u2"),
    _event("C", "23:50", "code_input", "u2", origin="paste", language="rust"),
    _event("C", "+00:10", "doc_generation", "u2", success=True, doc_type="api"),
    _event("C", "+00:20", "doc_export", "u2", action="download"),
    # D: generates 150 minutes after its start, past the window.
    _event("D", "12:00", "session_start", "u1"),
    _event("D", "12:10", "code_input", "u1", origin="github", language="go"),
    _event("D", "14:30", "doc_generation", "u1", success=True, doc_type="readme"),
    # E: an internal user's complete session: left out.
    _event("E", "13:00", "session_start", "staff"),
    _event("E", "13:01", "code_input", "staff", origin="sample", language="go"),
    _event("E", "13:02", "doc_generation", "staff", success=True, doc_type="readme"),
    _event("E", "13:03", "doc_export", "staff", action="copy"),
    # F: no session_start: never enters the funnel.
    _event("F", "15:00", "code_input", "u3", origin="paste", language="go"),
]

# (breakdown, value) -> sessions at steps 1..5, and users at steps 1..5; computed by hand.
EXPECTED = {
    ("all", "all"): ([4, 4, 2, 2, 2], [2, 2, 2, 2, 2]),  # A B C D; A C; users u1, u2
    ("origin", "paste"): ([2, 2, 2, 2, 2], [2, 2, 2, 2, 2]),  # A C
    ("origin", "upload"): ([1, 1, 0, 0, 0], [0, 0, 0, 0, 0]),  # B (anonymous)
    ("origin", "github"): ([1, 1, 0, 0, 0], [1, 1, 0, 0, 0]),  # D
    ("export_action", "copy"): ([1, 1, 1, 1, 1], [1, 1, 1, 1, 1]),  # A
    ("export_action", "download"): ([1, 1, 1, 1, 1], [1, 1, 1, 1, 1]),  # C
    ("export_action", "(none)"): ([2, 2, 0, 0, 0], [1, 1, 0, 0, 0]),  # B D
    ("doc_type", "readme"): ([2, 2, 1, 1, 1], [1, 1, 1, 1, 1]),  # A D
    ("doc_type", "api"): ([2, 2, 1, 1, 1], [1, 1, 1, 1, 1]),  # B C
}


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_funnel_conversions_equal_hand_computed_ones(warehouse: Warehouse, tmp_path: Path) -> None:
    dbt = DbtProject(warehouse, tmp_path)
    today = [e for e in SESSIONS if e["occurred_at"].startswith(DAY)]
    tomorrow = [e for e in SESSIONS if e["occurred_at"].startswith(NEXT_DAY)]
    loader.load_file(warehouse, _write(tmp_path / f"analytics_events__{DAY}.jsonl", today))
    dbt("build", "--select", *PRODUCT_MODELS, min_date=DAY, max_date=DAY)
    # The next day's events arrive later and are built as that day's partition: session C's
    # row, on the day it started, changes with them.
    loader.load_file(warehouse, _write(tmp_path / f"analytics_events__{NEXT_DAY}.jsonl", tomorrow))
    dbt("build", "--select", *PRODUCT_MODELS, min_date=NEXT_DAY, max_date=NEXT_DAY)

    rows = fetch(
        warehouse,
        "select * from marts.funnel_conversions where funnel_id = 'codescribe_doc_workflow'"
        " order by breakdown, breakdown_value, step_number",
    )
    assert {r["period_start"].isoformat() for r in rows} == {DAY}
    got: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for r in rows:
        sessions, users = got.setdefault((r["breakdown"], r["breakdown_value"]), ([], []))
        sessions.append(r["sessions"])
        users.append(r["users"])
    for language in ("python", "go", "rust"):
        got.pop(("language", language))
    assert got == EXPECTED

    overall = [r for r in rows if r["breakdown"] == "all"]
    assert [r["step_event"] for r in overall] == [
        "session_start", "code_input", "generation_started", "generation_completed", "doc_export",
    ]  # fmt: skip
    assert [r["step_conversion_rate"] for r in overall] == [None, 1.0, 0.5, 1.0, 1.0]
    assert [r["overall_conversion_rate"] for r in overall] == [1.0, 1.0, 0.5, 0.5, 0.5]
    assert [r["drop_off"] for r in overall] == [0, 0, 2, 0, 0]
    assert [r["previous_step_sessions"] for r in overall] == [None, 4, 4, 2, 2]
