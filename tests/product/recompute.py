"""The product marts recomputed in plain Python from raw.analytics_events, independently of
dbt.

Written from the seeds (002, 003) and the definitions in
dbt_project/models/marts/product/_product__models.yml, not from the SQL: nothing here reads
staging or marts. An event is a row of raw.analytics_events, one per event_id (the first
loaded wins), on the UTC day of occurred_at; internal events are left out except where a
mart counts them apart; a user is a non-null user_id.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ingest.warehouse import PROJECT_ROOT, Warehouse
from tests.recompute import (
    assert_rows_match,
    close,
    complete_through,
    fetch,
    first_loaded,
    keyed,
    period_end,
    period_start,
    utc_day,
)

Row = dict[str, Any]
Key = tuple[Any, ...]
GRAINS = {"daily": "day", "weekly": "week", "monthly": "month"}


def _typed(document: Any, key: str, kinds: tuple[type, ...]) -> Any:
    """A property of the JSON types asked for, else None (a bool is not a number)."""
    value = document.get(key) if isinstance(document, dict) else None
    if isinstance(value, bool) and bool not in kinds:
        return None
    return value if isinstance(value, kinds) else None


def _text(document: Any, key: str) -> str | None:
    value = _typed(document, key, (str, int, float, bool))
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _number(document: Any, key: str) -> float | None:
    value = _typed(document, key, (int, float))
    return None if value is None else float(value)


def _ms(delta: timedelta) -> int:
    return delta // timedelta(milliseconds=1)


@dataclass
class RawProduct:
    events: list[Row]
    complete_through: date
    first_event_day: date

    @classmethod
    def read(cls, warehouse: Warehouse) -> RawProduct:
        events = first_loaded(
            fetch(warehouse, "select *, event_type::text as event_type from raw.analytics_events"),
            "occurred_at",
        )
        for event in events:
            props = event["properties"]
            event["session_id"] = event["session_id"] or None
            event["user_id"] = event["user_id"] or None
            event["category"] = event["category"] or "(none)"
            event["action"] = _text(props, "action")
            event["success"] = _typed(props, "success", (bool,))
            duration = _number(props, "duration_ms")
            event["duration_ms"] = duration if duration is not None else _number(props, "duration")
            for key in ("origin", "language", "doc_type", "method", "tier"):
                event[key] = _text(props, key)
            event["amount"] = _number(props, "amount")
            event["percent_used"] = _number(props, "percent_used")
            event["referrer"] = event["referrer"] or None
            for key in ("device", "browser", "os", "country", "city"):
                event[key] = _text(event["context"], key)
        # The source's first event day is its earliest feed's (metric points count too).
        [points] = fetch(warehouse, "select min(recorded_at) as first from raw.metrics")
        first_day = min(e["day"] for e in events)
        if points["first"] is not None:
            first_day = min(first_day, utc_day(points["first"]))
        return cls(
            events=events,
            complete_through=complete_through(warehouse, "product"),
            first_event_day=first_day,
        )

    def is_complete(self, first: date, last: date) -> bool:
        return self.first_event_day <= first and last <= self.complete_through

    def external(self) -> list[Row]:
        return [e for e in self.events if not e["is_internal"]]


def _group(rows: Iterable[Row], key: Callable[[Row], Key]) -> dict[Key, list[Row]]:
    groups: dict[Key, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _distinct(rows: Iterable[Row], column: str) -> int:
    return len({r[column] for r in rows if r[column] is not None})


def events_daily(raw: RawProduct) -> dict[Key, Row]:
    result = {}
    for key, rows in _group(
        raw.events, lambda e: (e["day"], e["event_name"], e["category"])
    ).items():
        external = [r for r in rows if not r["is_internal"]]
        internal = [r for r in rows if r["is_internal"]]
        result[key] = {
            "events": len(external),
            "unique_sessions": _distinct(external, "session_id"),
            "unique_users": _distinct(external, "user_id"),
            "internal_events": len(internal),
            "internal_unique_sessions": _distinct(internal, "session_id"),
            "internal_unique_users": _distinct(internal, "user_id"),
            "is_complete": raw.is_complete(key[0], key[0]),
        }
    return result


def _ordered(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda e: (e["occurred_at"], e["event_id"]))


def _first(rows: list[Row], column: str) -> Any:
    return next((r[column] for r in rows if r[column] is not None), None)


def sessions(raw: RawProduct) -> dict[Key, Row]:
    result = {}
    for (session_id,), rows in _group(raw.events, lambda e: (e["session_id"],)).items():
        if session_id is None:
            continue
        rows = _ordered(rows)
        start, end = rows[0]["occurred_at"], rows[-1]["occurred_at"]
        result[(session_id,)] = {
            "period_start": utc_day(start),
            "user_id": _first(rows[::-1], "user_id"),
            "started_at": start,
            "ended_at": end,
            "duration_ms": _ms(end - start),
            "event_count": len(rows),
            "page_view_count": sum(r["event_type"] == "page" for r in rows),
            "landing_page": _first(rows, "page_url"),
            "exit_page": _first(rows[::-1], "page_url"),
            "is_internal": any(r["is_internal"] for r in rows),
            "crosses_midnight": utc_day(end) > utc_day(start),
            "is_complete": raw.is_complete(utc_day(start), utc_day(start)),
            **{
                c: _first(rows, c)
                for c in ("referrer", "device", "browser", "os", "country", "city")
            },
        }
    return result


def user_activity(raw: RawProduct) -> dict[Key, Row]:
    known = [e for e in raw.external() if e["user_id"] is not None]
    result = {}
    for key, rows in _group(known, lambda e: (e["day"], e["user_id"])).items():
        by_session = _group(
            [r for r in rows if r["session_id"] is not None], lambda e: (e["session_id"],)
        )
        times = [r["occurred_at"] for r in rows]
        result[key] = {
            "session_count": len(by_session),
            "event_count": len(rows),
            "total_duration_ms": sum(
                _ms(max(r["occurred_at"] for r in part) - min(r["occurred_at"] for r in part))
                for part in by_session.values()
            ),
            "first_seen_at": min(times),
            "last_seen_at": max(times),
            "events_breakdown": dict(Counter(r["event_name"] for r in rows)),
            "is_complete": raw.is_complete(key[0], key[0]),
        }
    return result


def active_users(raw: RawProduct, grain: str) -> dict[Key, Row]:
    user_days = {(e["day"], e["user_id"]) for e in raw.external() if e["user_id"] is not None}
    by_period: dict[date, list[tuple[date, str]]] = defaultdict(list)
    for day, user in user_days:
        by_period[period_start(day, grain)].append((day, user))
    result = {}
    for start, pairs in by_period.items():
        users = len({u for _, u in pairs})
        row: Row = {
            "active_users": users,
            "is_complete": raw.is_complete(start, period_end(start, grain)),
        }
        if grain != "day":
            days = len({d for d, _ in pairs})
            row |= {
                "days_with_activity": days,
                "avg_daily_active_users": len(pairs) / days,
                "stickiness": len(pairs) / days / users,
            }
        result[(start,)] = row
    return result


def feature_usage(raw: RawProduct) -> dict[Key, Row]:
    uses = [e for e in raw.external() if e["category"] == "usage" and e["event_type"] == "track"]

    def feature(e: Row) -> str:
        if e["event_name"] == "user_interaction":
            return "user_interaction:" + (e["action"] or "(none)")
        return e["event_name"]

    result = {}
    for key, rows in _group(uses, lambda e: (e["day"], feature(e))).items():
        durations = [r["duration_ms"] for r in rows if r["duration_ms"] is not None]
        outcomes = [r["success"] for r in rows if r["success"] is not None]
        result[key] = {
            "usage_count": len(rows),
            "unique_users": _distinct(rows, "user_id"),
            "avg_duration_ms": sum(durations) / len(durations) if durations else None,
            "success_rate": sum(outcomes) / len(outcomes) if outcomes else None,
            "outcomes": len(outcomes),
            "is_complete": raw.is_complete(key[0], key[0]),
        }
    return result


FUNNEL_STEPS = (
    PROJECT_ROOT / "dbt_project" / "seeds" / "staging" / "product" / "product_funnel_steps.csv"
)
BREAKDOWNS = {  # breakdown -> (property, the event it is read from)
    "doc_type": ("doc_type", "doc_generation"),
    "language": ("language", "code_input"),
    "origin": ("origin", "code_input"),
    "export_action": ("action", "doc_export"),
}


def funnel_definitions() -> dict[str, list[Row]]:
    """Each funnel's steps in its highest version, read from the seed file (the data)."""
    with FUNNEL_STEPS.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    latest: dict[str, int] = {}
    for row in rows:
        latest[row["funnel_id"]] = max(latest.get(row["funnel_id"], 0), int(row["funnel_version"]))
    funnels: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if int(row["funnel_version"]) == latest[row["funnel_id"]]:
            funnels[row["funnel_id"]].append(row)
    return {f: sorted(steps, key=lambda r: int(r["step_number"])) for f, steps in funnels.items()}


def _step_events(rows: list[Row]) -> list[tuple[datetime, str]]:
    """(time, step event): every event by name, doc_generation also as generation_started,
    and as generation_completed when it succeeded."""
    found = []
    for r in rows:
        found.append((r["occurred_at"], r["event_name"]))
        if r["event_name"] == "doc_generation":
            found.append((r["occurred_at"], "generation_started"))
            if r["success"] is True:
                found.append((r["occurred_at"], "generation_completed"))
    return found


def steps_reached(rows: list[Row], steps: list[Row]) -> int:
    """How many steps of the funnel a session's events reach, in order, within its window."""
    found = _step_events(rows)
    firsts = [t for t, e in found if e == steps[0]["step_event"]]
    if not firsts:
        return 0
    started = previous = min(firsts)
    deadline = started + timedelta(minutes=int(steps[0]["window_minutes"]))
    reached = 1
    for step in steps[1:]:
        times = [t for t, e in found if e == step["step_event"] and previous <= t <= deadline]
        if not times:
            break
        previous, reached = min(times), reached + 1
    return reached


def funnel_conversions(raw: RawProduct) -> dict[Key, Row]:
    funnels = funnel_definitions()
    reached: dict[Key, list[str | None]] = defaultdict(list)  # -> the users of its sessions
    for (session_id,), rows in _group(raw.events, lambda e: (e["session_id"],)).items():
        if session_id is None or any(r["is_internal"] for r in rows):
            continue
        rows = _ordered(rows)
        day, user = rows[0]["day"], _first(rows[::-1], "user_id")
        values = {"all": "all"} | {
            name: _first([r for r in rows if r["event_name"] == event], column) or "(none)"
            for name, (column, event) in BREAKDOWNS.items()
        }
        for funnel_id, steps in funnels.items():
            for number in range(1, steps_reached(rows, steps) + 1):
                for breakdown, value in values.items():
                    reached[(day, funnel_id, number, breakdown, value)].append(user)
    result = {}
    for (day, funnel_id, number, breakdown, value), users in reached.items():
        if number != 1:
            continue
        steps = funnels[funnel_id]
        previous = None
        for step in steps:
            key = (day, funnel_id, int(step["step_number"]), breakdown, value)
            count = len(reached.get(key, []))
            result[key] = {
                "funnel_version": int(step["funnel_version"]),
                "funnel_name": step["funnel_name"],
                "step_event": step["step_event"],
                "window_minutes": int(step["window_minutes"]),
                "sessions": count,
                "users": len({u for u in reached.get(key, []) if u is not None}),
                "previous_step_sessions": previous,
                "step_conversion_rate": count / previous if previous else None,
                "overall_conversion_rate": count / len(users),
                "drop_off": previous - count if previous is not None else 0,
                "is_complete": raw.is_complete(day, day),
            }
            previous = count
    return result


def retention(raw: RawProduct) -> dict[Key, Row]:
    weeks: dict[str, set[date]] = defaultdict(set)
    for e in raw.external():
        if e["user_id"] is not None:
            weeks[e["user_id"]].add(period_start(e["day"], "week"))
    cohorts = {user: min(active) for user, active in weeks.items()}
    sizes = Counter(cohorts.values())
    last = max(w for active in weeks.values() for w in active)
    result = {}
    for cohort, size in sizes.items():
        for number in range((last - cohort).days // 7 + 1):
            week = cohort + timedelta(days=7 * number)
            active = sum(cohorts[u] == cohort and week in weeks[u] for u in weeks)
            result[(cohort, number)] = {
                "activity_week": week,
                "cohort_users": size,
                "active_users": active,
                "retention_rate": active / size,
                "is_complete": raw.is_complete(week, period_end(week, "week")),
            }
    return result


LIFECYCLE_COUNTS = {  # column -> (event, action)
    "trials_started": ("trial", "started"),
    "trials_expired": ("trial", "expired"),
    "trials_converted": ("trial", "converted"),
    "upgrades": ("tier_change", "upgrade"),
    "downgrades": ("tier_change", "downgrade"),
    "cancellations": ("tier_change", "cancel"),
    "usage_warnings": ("usage_alert", "warning_shown"),
    "usage_limit_hits": ("usage_alert", "limit_hit"),
}


def _business(raw: RawProduct) -> list[Row]:
    return [e for e in raw.external() if e["category"] == "business"]


def lifecycle(raw: RawProduct) -> dict[Key, Row]:
    result = {}
    for key, rows in _group(_business(raw), lambda e: (e["day"],)).items():
        row: Row = {
            column: sum(r["event_name"] == event and r["action"] == action for r in rows)
            for column, (event, action) in LIFECYCLE_COUNTS.items()
        }
        checkouts = [r for r in rows if r["event_name"] == "checkout_completed"]
        ended = row["trials_converted"] + row["trials_expired"]
        result[key] = row | {
            "checkouts": len(checkouts),
            "checkout_amount": float(sum(r["amount"] or 0 for r in checkouts)),
            "logins": sum(r["event_name"] == "login" for r in rows),
            "signups": sum(r["event_name"] == "signup" for r in rows),
            "trial_conversion_rate": row["trials_converted"] / ended if ended else None,
            "is_complete": raw.is_complete(key[0], key[0]),
        }
    return result


def business_events(raw: RawProduct) -> dict[Key, Row]:
    def key(e: Row) -> Key:
        props = e["properties"]
        tier = e["tier"] or _text(props, "new_tier")
        return (
            e["day"], e["event_name"], e["action"] or "(none)", e["method"] or "(none)",
            tier or "(none)", _text(props, "previous_tier") or "(none)",
        )  # fmt: skip

    result = {}
    for k, rows in _group(_business(raw), key).items():
        amounts = [r["amount"] for r in rows if r["amount"] is not None]
        percents = [r["percent_used"] for r in rows if r["percent_used"] is not None]
        result[k] = {
            "events": len(rows),
            "unique_users": _distinct(rows, "user_id"),
            "amount": float(sum(amounts)) if amounts else None,
            "avg_percent_used": sum(percents) / len(percents) if percents else None,
            "is_complete": raw.is_complete(k[0], k[0]),
        }
    return result


MARTS: dict[str, tuple[tuple[str, ...], Callable[[RawProduct], dict[Key, Row]]]] = {
    "product_events_daily": (("period_start", "event_name", "category"), events_daily),
    "product_sessions": (("session_id",), sessions),
    "user_activity_daily": (("period_start", "user_id"), user_activity),
    "feature_usage_daily": (("period_start", "feature_name"), feature_usage),
    "funnel_conversions": (
        ("period_start", "funnel_id", "step_number", "breakdown", "breakdown_value"),
        funnel_conversions,
    ),
    "user_retention_weekly": (("cohort_week", "week_number"), retention),
    "codescribe_lifecycle_daily": (("period_start",), lifecycle),
    "codescribe_business_events_daily": (
        ("period_start", "event_name", "action", "method", "tier", "previous_tier"),
        business_events,
    ),
    **{
        f"active_users_{name}": (("period_start",), lambda raw, g=grain: active_users(raw, g))
        for name, grain in GRAINS.items()
    },
}


def assert_mart_matches(
    warehouse: Warehouse, raw: Any, mart: str, marts: dict[str, Any] | None = None
) -> int:
    """The mart equals its recomputation from `raw` (MARTS: `marts` names each mart's key and
    recomputation), every row and recomputed column; returns its row count."""
    key, recompute = (marts or MARTS)[mart]
    actual = keyed(fetch(warehouse, f"select * from marts.{mart}"), *key)
    assert_rows_match(actual, recompute(raw), close)
    return len(actual)


def assert_every_mart_matches(warehouse: Warehouse, raw: RawProduct) -> dict[str, int]:
    return {mart: assert_mart_matches(warehouse, raw, mart) for mart in MARTS}
