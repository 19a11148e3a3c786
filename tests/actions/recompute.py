"""The actions marts recomputed in plain Python from the raw tables, independently of dbt.

Written from the seed (001) and the definitions in
dbt_project/models/marts/actions/_actions__models.yml, not from the SQL: nothing here reads
staging or marts. An action is a row of raw.action_results (one per event_id, the first
loaded wins), by the UTC day and hour of executed_at; successes are status success, failures
failure or timeout. Sliding windows end at the reference time: the newest action executed
no later than now. Completeness comes from the load ledger (raw._loads).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ingest.warehouse import Warehouse, pii_salt
from tests.recompute import (
    assert_rows_match,
    close,
    fetch,
    first_loaded,
    keyed,
    loaded_through,
    percentile_cont,
)

Row = dict[str, Any]
FAILED = ("failure", "timeout")
SLA_MS = 1000
MIN_EXECUTIONS, HIGH_AVG_RETRIES, IDLE_DAYS = 10, 0.5, 7
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
ROLLUPS: dict[str, tuple[tuple[str, ...], bool]] = {
    "action_metrics_hourly": (("action_type", "status"), True),
    "action_stats_hourly": (("action_type",), True),
    "action_stats_daily": (("action_type",), False),
    "trigger_stats_daily": (("trigger_id",), False),
    "action_org_usage_daily": (("organization_id", "action_type"), False),
}


@dataclass
class RawActions:
    results: list[Row]
    triggers: dict[str, Row]
    first_event_day: date
    loaded_through: datetime
    reference: datetime

    @property
    def complete_through(self) -> date:
        return self.loaded_through.astimezone(UTC).date() - timedelta(days=1)

    @classmethod
    def read(cls, warehouse: Warehouse) -> RawActions:
        [now] = fetch(warehouse, "select now() as now")
        salt = pii_salt(warehouse) or ""
        results = first_loaded(
            fetch(
                warehouse,
                "select *, status::text as status, action_type::text as action_type"
                " from raw.action_results",
            ),
            "executed_at",
        )
        for row in results:
            row["hour"] = (
                row["executed_at"]
                .astimezone(UTC)
                .replace(minute=0, second=0, microsecond=0, tzinfo=None)
            )
            row["error_message"] = redacted(row["error_message"])
            row["response_data"] = reduced(row["response_data"], salt)
        triggers: dict[str, Row] = {}
        for row in sorted(
            fetch(warehouse, "select * from raw.triggers"), key=lambda r: r["_load_id"]
        ):
            triggers[row["trigger_id"]] = row  # the latest load's version wins
        reference = max(r["executed_at"] for r in results if r["executed_at"] <= now["now"])
        return cls(
            results=results,
            triggers=triggers,
            first_event_day=min(r["day"] for r in results),
            loaded_through=loaded_through(warehouse, "actions"),
            reference=reference,
        )

    def between(self, start: datetime, end: datetime) -> list[Row]:
        """Results in (start, end]."""
        return [r for r in self.results if start < r["executed_at"] <= end]


def redacted(message: str | None) -> str | None:
    return EMAIL.sub("<email>", message) or None if message is not None else None


def reduced(response: Any, salt: str) -> Any:
    if isinstance(response, dict) and "recipient" in response:
        kept = {k: v for k, v in response.items() if k != "recipient"}
        digest = hashlib.sha256((salt + response["recipient"]).encode()).hexdigest()
        return {**kept, "recipient_hash": digest}
    return response


def _measures(rows: list[Row]) -> Row:
    durations = [r["duration_ms"] for r in rows]
    executions = len(rows)
    successes = sum(r["status"] == "success" for r in rows)
    retries = sum(r["retry_count"] for r in rows)
    return {
        "execution_count": executions,
        "success_count": successes,
        "failure_count": sum(r["status"] in FAILED for r in rows),
        "avg_duration_ms": sum(durations) / executions,
        "min_duration_ms": min(durations),
        "max_duration_ms": max(durations),
        "p50_duration_ms": percentile_cont(durations, 0.5),
        "p95_duration_ms": percentile_cont(durations, 0.95),
        "p99_duration_ms": percentile_cont(durations, 0.99),
        "total_retries": retries,
        "retried_count": sum(r["retry_count"] > 0 for r in rows),
        "sla_violation_count": sum(d > SLA_MS for d in durations),
        "first_executed_at": min(r["executed_at"] for r in rows),
        "last_executed_at": max(r["executed_at"] for r in rows),
        "success_rate": successes / executions,
        "avg_retries": retries / executions,
    }


def _groups(rows: Iterable[Row], key: Callable[[Row], tuple[Any, ...]]) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def rollup(raw: RawActions, dimensions: tuple[str, ...], hourly: bool) -> dict[Any, Row]:
    def key(r: Row) -> tuple[Any, ...]:
        return (r["day"], *((r["hour"],) if hourly else ()), *(r[d] for d in dimensions))

    rows = [r for r in raw.results if all(r[d] is not None for d in dimensions)]
    expected = {}
    for group, members in _groups(rows, key).items():
        day = group[0]
        complete = raw.first_event_day <= day <= raw.complete_through
        if hourly:
            hour_end = group[1].replace(tzinfo=UTC) + timedelta(hours=1)
            complete = complete or (
                group[1].date() >= raw.first_event_day and hour_end <= raw.loaded_through
            )
        expected[group] = {**_measures(members), "is_complete": complete}
    return expected


def error_stats(raw: RawActions) -> dict[Any, Row]:
    failures = [r for r in raw.results if r["status"] in FAILED]

    def key(r: Row) -> tuple[Any, ...]:
        return (r["day"], r["action_type"], r["trigger_id"] or "(none)",
                r["error_message"] or "(no message)")  # fmt: skip

    return {
        group: {
            "error_count": len(rows),
            "failure_status_count": sum(r["status"] == "failure" for r in rows),
            "timeout_status_count": sum(r["status"] == "timeout" for r in rows),
            "total_retries": sum(r["retry_count"] for r in rows),
            "first_seen_at": min(r["executed_at"] for r in rows),
            "last_seen_at": max(r["executed_at"] for r in rows),
            "is_complete": raw.first_event_day <= group[0] <= raw.complete_through,
        }
        for group, rows in _groups(failures, key).items()
    }


def recent_failures(raw: RawActions) -> dict[Any, Row]:
    start = raw.reference - timedelta(hours=24)
    return {
        (r["event_id"],): {
            "executed_at": r["executed_at"],
            "trigger_id": r["trigger_id"],
            "trigger_name": raw.triggers.get(r["trigger_id"], {}).get("name"),
            "status": r["status"],
            "error_message": r["error_message"],
            "response_data": r["response_data"],
            "window_start": start,
            "window_end": raw.reference,
        }
        for r in raw.between(start, raw.reference)
        if r["status"] in FAILED
    }


def type_distribution(raw: RawActions) -> dict[Any, Row]:
    rows = raw.between(raw.reference - timedelta(days=30), raw.reference)
    by_type = _groups(rows, lambda r: (r["action_type"],))
    return {
        group: {
            "execution_count": len(members),
            "success_count": sum(r["status"] == "success" for r in members),
            "failure_count": sum(r["status"] in FAILED for r in members),
            "trigger_count": len({r["trigger_id"] for r in members if r["trigger_id"]}),
            "share_pct": 100.0 * len(members) / len(rows),
        }
        for group, members in by_type.items()
    }


def trigger_summary(raw: RawActions) -> dict[Any, Row]:
    start = raw.reference - timedelta(days=30)
    window = _groups(
        (r for r in raw.between(start, raw.reference) if r["trigger_id"]),
        lambda r: r["trigger_id"],
    )
    ever = _groups(
        (r for r in raw.results if r["trigger_id"] and r["executed_at"] <= raw.reference),
        lambda r: r["trigger_id"],
    )
    expected = {}
    for trigger_id in set(raw.triggers) | set(window):
        rows = window.get(trigger_id, [])
        catalog = raw.triggers.get(trigger_id, {})
        last = max((r["executed_at"] for r in ever.get(trigger_id, [])), default=None)
        executions = len(rows)
        success_rate = sum(r["status"] == "success" for r in rows) / executions if rows else None
        avg_retries = sum(r["retry_count"] for r in rows) / executions if rows else None
        durations = [r["duration_ms"] for r in rows]
        expected[(trigger_id,)] = {
            "trigger_name": catalog.get("name"),
            "is_active": catalog.get("is_active"),
            "execution_count": executions,
            "success_rate": success_rate,
            "p95_duration_ms": percentile_cont(durations, 0.95) if rows else None,
            "total_retries": sum(r["retry_count"] for r in rows),
            "last_executed_at": last,
            "is_low_success_rate": executions >= MIN_EXECUTIONS and success_rate < 0.9,
            "is_high_retry_rate": executions >= MIN_EXECUTIONS and avg_retries > HIGH_AVG_RETRIES,
            "is_idle": bool(catalog.get("is_active"))
            and (last is None or last <= raw.reference - timedelta(days=IDLE_DAYS)),
        }
    ranked = sorted(expected.values(), key=lambda r: -r["execution_count"])
    for row in ranked:
        row["activity_rank"] = 1 + sum(
            other["execution_count"] > row["execution_count"] for other in ranked
        )
    return expected


def system_health(raw: RawActions) -> dict[Any, Row]:
    rows = raw.between(raw.reference - timedelta(hours=24), raw.reference)
    durations = [r["duration_ms"] for r in rows]
    successes = sum(r["status"] == "success" for r in rows)
    rate = successes / len(rows) if rows else None
    p95 = percentile_cont(durations, 0.95) if rows else None
    triggers = trigger_summary(raw).values()
    return {
        (raw.reference,): {
            "execution_count": len(rows),
            "success_count": successes,
            "success_rate": rate,
            "p95_duration_ms": p95,
            "active_trigger_count": len({r["trigger_id"] for r in rows if r["trigger_id"]}),
            "failing_trigger_count": len(
                {r["trigger_id"] for r in rows if r["trigger_id"] and r["status"] in FAILED}
            ),
            "idle_trigger_count": sum(t["is_idle"] for t in triggers),
            "is_success_rate_below_90pct": rate is not None and rate < 0.9,
            "is_p95_over_1000ms": p95 is not None and p95 > 1000,
        }
    }


def growth_weekly(raw: RawActions) -> dict[Any, Row]:
    weeks = _groups(raw.results, lambda r: r["day"] - timedelta(days=r["day"].weekday()))
    expected = {}
    for week, rows in weeks.items():
        previous = len(weeks.get(week - timedelta(days=7), []))
        days = {r["day"] for r in rows}
        expected[(week,)] = {
            "execution_count": len(rows),
            "days_with_data": len(days),
            "is_complete": len(days) == 7
            and all(raw.first_event_day <= d <= raw.complete_through for d in days),
            "previous_week_execution_count": previous or None,
            "growth_pct": 100.0 * (len(rows) - previous) / previous if previous else None,
        }
    return expected


CURRENT_STATE: dict[str, tuple[tuple[str, ...], Callable[[RawActions], dict[Any, Row]]]] = {
    "action_error_stats_daily": (
        ("period_start", "action_type", "trigger_id", "error_message"),
        error_stats,
    ),
    "recent_failures": (("event_id",), recent_failures),
    "action_type_distribution": (("action_type",), type_distribution),
    "trigger_performance_summary": (("trigger_id",), trigger_summary),
    "action_system_health": (("window_end",), system_health),
    "action_growth_weekly": (("week_start",), growth_weekly),
}
MARTS = (*ROLLUPS, *CURRENT_STATE)


def assert_mart_matches(warehouse: Warehouse, raw: RawActions, mart: str) -> int:
    """The mart equals its recomputation; returns its row count."""
    rows = fetch(warehouse, f"select * from marts.{mart}")
    if mart in ROLLUPS:
        dimensions, hourly = ROLLUPS[mart]
        key = ("period_start", *(("hour_start",) if hourly else ()), *dimensions)
        expected = rollup(raw, dimensions, hourly)
    else:
        key, recompute = CURRENT_STATE[mart]
        expected = recompute(raw)
    assert_rows_match(keyed(rows, *key), expected, close)
    return len(rows)
