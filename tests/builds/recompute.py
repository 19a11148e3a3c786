"""The builds marts recomputed in plain Python from the raw tables, independently of dbt.

Written from the seed (004) and the definitions in
dbt_project/models/marts/builds/_builds__models.yml, not from the SQL: nothing here reads
staging or marts. A request is a row of raw.build_requests, a build a row of
raw.build_events; one row per event_id (the first loaded wins); days are UTC days of the
request or start time; successful = status success, failed = failure, timeout or cancelled;
a build's version, target, profile and package count are those of its request hash
('unknown' when no request has it). Snapshot marts are recomputed as of any day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

from ingest.warehouse import Warehouse
from tests.recompute import (
    assert_rows_match,
    close,
    complete_through,
    fetch,
    first_loaded,
    keyed,
    percentile_cont,
    stored_snapshot_days,
)

Row = dict[str, Any]
FAILED = ("failure", "timeout", "cancelled")
PERIOD_LENGTHS = (7, 30, 90)
DAILY_MARTS = {
    "build_stats_daily": ("period_start",),
    "build_stats_version_target": ("period_start", "version", "target"),
    "build_stats_profiles": ("period_start", "version", "target", "profile"),
    "build_client_stats": ("period_start", "client", "version"),
    "build_request_stats_daily": ("period_start", "request_hash"),
    "build_error_stats": ("period_start", "error_category", "error_type", "version", "target"),
    "build_queue_hourly": ("period_start", "hour_start"),
}
SNAPSHOT_MARTS = {
    "build_overview": ("as_of_date", "period_days"),
    "build_performance": ("as_of_date", "period_days", "version"),
    "build_slowest_builds": ("as_of_date", "period_days", "slow_rank"),
}


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class RawBuilds:
    requests: list[Row]
    builds: list[Row]
    complete_through: date
    first_event_day: date

    @classmethod
    def read(cls, warehouse: Warehouse) -> RawBuilds:
        requests = first_loaded(
            fetch(warehouse, "select * from raw.build_requests"), "requested_at"
        )
        builds = first_loaded(
            fetch(warehouse, "select *, status::text as status from raw.build_events"), "started_at"
        )
        shapes: dict[str, Row] = {}
        for request in sorted(requests, key=lambda r: (r["requested_at"], r["event_id"])):
            shapes.setdefault(request["request_hash"], request)
        for build in builds:
            shape = shapes.get(build["request_hash"])
            for column in ("version", "target", "profile"):
                build[column] = shape[column] if shape else "unknown"
            build["package_count"] = shape["package_count"] if shape else None
        return cls(
            requests=requests,
            builds=builds,
            complete_through=complete_through(warehouse, "builds"),
            first_event_day=min(row["day"] for row in [*requests, *builds]),
        )

    def is_complete(self, day: date) -> bool:
        return self.first_event_day <= day <= self.complete_through


def _request_counts(rows: Iterable[Row]) -> Row:
    rows = list(rows)
    return {
        "requests": len(rows),
        "hashes": len({r["request_hash"] for r in rows}),
        "cache_hits": sum(r["cache_hit"] for r in rows),
        "clients": len({r["client"] for r in rows}),
        "profiles": len({r["profile"] for r in rows}),
        "diff_true": sum(r["diff_packages"] for r in rows),
        "diff_false": sum(not r["diff_packages"] for r in rows),
    }


def _build_counts(rows: Iterable[Row]) -> Row:
    rows = list(rows)
    durations = [r["duration_seconds"] for r in rows if r["duration_seconds"] is not None]
    successes = sum(r["status"] == "success" for r in rows)
    failures = sum(r["status"] in FAILED for r in rows)
    return {
        "builds": len(rows),
        "successes": successes,
        "failures": failures,
        "building": sum(r["status"] == "building" for r in rows),
        "success_rate": _ratio(successes, successes + failures),
        "durations": durations,
    }


def _group(rows: Iterable[Row], *columns: str) -> dict[tuple[Any, ...], list[Row]]:
    groups: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[c] for c in columns)].append(row)
    return groups


def stats_daily(raw: RawBuilds) -> dict[tuple[Any, ...], Row]:
    requests, builds = _group(raw.requests, "day"), _group(raw.builds, "day")
    result = {}
    for key in requests.keys() | builds.keys():
        r, b = _request_counts(requests.get(key, [])), _build_counts(builds.get(key, []))
        durations = b["durations"]
        queue = [x["queue_length"] for x in builds.get(key, []) if x["queue_length"] is not None]
        result[key] = {
            "total_requests": r["requests"],
            "unique_requests": r["hashes"],
            "cache_hits": r["cache_hits"],
            "cache_hit_rate": _ratio(r["cache_hits"], r["requests"]),
            "build_count": b["builds"],
            "successful_builds": b["successes"],
            "failed_builds": b["failures"],
            "building_builds": b["building"],
            "success_rate": b["success_rate"],
            "avg_build_duration_seconds": _mean(durations),
            "min_build_duration_seconds": min(durations, default=None),
            "max_build_duration_seconds": max(durations, default=None),
            "total_build_time_seconds": sum(durations),
            **{
                f"p{int(q * 100)}_build_duration_seconds": (
                    percentile_cont(durations, q) if durations else None
                )
                for q in (0.5, 0.9, 0.95, 0.99)
            },
            "unique_clients": r["clients"],
            "diff_packages_true": r["diff_true"],
            "diff_packages_false": r["diff_false"],
            "diff_packages_share": _ratio(r["diff_true"], r["requests"]),
            "max_queue_length": max(queue, default=None),
            "is_complete": raw.is_complete(key[0]),
        }
    return result


def stats_by(raw: RawBuilds, *dimensions: str) -> dict[tuple[Any, ...], Row]:
    requests = _group(raw.requests, "day", *dimensions)
    builds = _group(raw.builds, "day", *dimensions)
    result = {}
    for key in requests.keys() | builds.keys():
        r, b = _request_counts(requests.get(key, [])), _build_counts(builds.get(key, []))
        row = {
            "request_count": r["requests"],
            "unique_requests": r["hashes"],
            "cache_hits": r["cache_hits"],
            "diff_packages_true": r["diff_true"],
            "diff_packages_false": r["diff_false"],
            "build_count": b["builds"],
            "successful_builds": b["successes"],
            "failed_builds": b["failures"],
            "avg_build_duration_seconds": _mean(b["durations"]),
            "cache_hit_rate": _ratio(r["cache_hits"], r["requests"]),
            "success_rate": b["success_rate"],
            "is_complete": raw.is_complete(key[0]),
        }
        if "profile" not in dimensions:
            row["unique_profiles"] = r["profiles"]
        result[key] = row
    return result


def client_stats(raw: RawBuilds) -> dict[tuple[Any, ...], Row]:
    requests = _group(raw.requests, "day", "client", "version")
    builds = _group(raw.builds, "day", "client", "version")
    result = {}
    for key in requests.keys() | builds.keys():
        r, b = _request_counts(requests.get(key, [])), _build_counts(builds.get(key, []))
        result[key] = {
            "total_requests": r["requests"],
            "unique_builds": r["hashes"],
            "cache_hits": r["cache_hits"],
            "queued_requests": r["requests"] - r["cache_hits"],
            "build_count": b["builds"],
            "building_builds": b["building"],
            "successful_builds": b["successes"],
            "failed_builds": b["failures"],
            "cache_hit_rate": _ratio(r["cache_hits"], r["requests"]),
            "success_rate": b["success_rate"],
            "is_complete": raw.is_complete(key[0]),
        }
    return result


ATTRIBUTES = (
    "version", "target", "profile", "package_count", "has_custom_repos", "has_defaults",
    "rootfs_size_mb",
)  # fmt: skip


def _first_request(rows: list[Row]) -> Row:
    return min(rows, key=lambda r: (r["requested_at"], r["event_id"]))


def _request_row(requests: list[Row], builds: list[Row]) -> Row:
    first = _first_request(requests) if requests else None
    b = _build_counts(builds)
    return {
        **{column: first[column] if first else None for column in ATTRIBUTES},
        "is_diff_packages": first["diff_packages"] if first else None,
        "first_requested_at": first["requested_at"] if first else None,
        "last_requested_at": max((r["requested_at"] for r in requests), default=None),
        "total_requests": len(requests),
        "cache_hits": sum(r["cache_hit"] for r in requests),
        "successful_builds": b["successes"],
        "failed_builds": b["failures"],
    }


def request_stats_daily(raw: RawBuilds) -> dict[tuple[Any, ...], Row]:
    requests = _group(raw.requests, "day", "request_hash")
    builds = _group(raw.builds, "day", "request_hash")
    return {
        key: {
            **_request_row(requests.get(key, []), builds.get(key, [])),
            "is_complete": raw.is_complete(key[0]),
        }
        for key in requests.keys() | builds.keys()
    }


def request_metadata(raw: RawBuilds) -> dict[tuple[Any, ...], Row]:
    requests = _group(raw.requests, "request_hash")
    builds = _group(raw.builds, "request_hash")
    return {
        key: _request_row(requests.get(key, []), builds.get(key, []))
        for key in requests.keys() | builds.keys()
    }


def error_stats(raw: RawBuilds) -> dict[tuple[Any, ...], Row]:
    failures = [
        {
            **b,
            "error_category": b["error_category"] or "unknown",
            "error_type": b["error_type"] or "unknown",
        }
        for b in raw.builds
        if b["status"] == "failure"
    ]
    groups = _group(failures, "day", "error_category", "error_type", "version", "target")
    return {
        key: {
            "error_count": len(rows),
            "affected_requests": len({r["request_hash"] for r in rows}),
            "affected_clients": len({r["client"] for r in rows}),
            "is_complete": raw.is_complete(key[0]),
        }
        for key, rows in groups.items()
    }


def queue_hourly(raw: RawBuilds) -> dict[tuple[Any, ...], Row]:
    hours: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for build in raw.builds:
        hour = build["started_at"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours[(build["day"], hour.replace(tzinfo=None))].append(build)
    result = {}
    for key, rows in hours.items():
        lengths = [r["queue_length"] for r in rows if r["queue_length"] is not None]
        result[key] = {
            "builds_started": len(rows),
            "queue_samples": len(lengths),
            "min_queue_length": min(lengths, default=None),
            "avg_queue_length": _mean(lengths),
            "max_queue_length": max(lengths, default=None),
            "is_complete": raw.is_complete(key[0]),
        }
    return result


def _within(rows: list[Row], as_of: date, days: int) -> list[Row]:
    return [r for r in rows if as_of - timedelta(days=days) < r["day"] <= as_of]


def _top_five(rows: list[Row], dimension: str) -> list[Row]:
    counts = Counter(r[dimension] for r in rows)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5]
    return [{dimension: value, "requests": count} for value, count in ranked]


def overview(raw: RawBuilds, as_of: date) -> dict[tuple[Any, ...], Row]:
    result = {}
    for days in PERIOD_LENGTHS:
        requests = _within(raw.requests, as_of, days)
        r, b = _request_counts(requests), _build_counts(_within(raw.builds, as_of, days))
        durations = b["durations"]
        result[(as_of, days)] = {
            "period_start": as_of - timedelta(days=days - 1),
            "total_requests": r["requests"],
            "unique_requests": r["hashes"],
            "cache_hits": r["cache_hits"],
            "cache_hit_rate": _ratio(r["cache_hits"], r["requests"]),
            "successful_builds": b["successes"],
            "failed_builds": b["failures"],
            "success_rate": b["success_rate"],
            "avg_duration_seconds": _mean(durations),
            "median_duration_seconds": percentile_cont(durations, 0.5) if durations else None,
            "p95_duration_seconds": percentile_cont(durations, 0.95) if durations else None,
            "total_build_hours": sum(durations) / 3600,
            "unique_clients": r["clients"],
            "top_clients": _top_five(requests, "client"),
            "top_versions": _top_five(requests, "version"),
            "top_targets": _top_five(requests, "target"),
            "diff_packages_enabled": r["diff_true"],
            "diff_packages_disabled": r["diff_false"],
            "diff_packages_share": _ratio(r["diff_true"], r["requests"]),
        }
    return result


def performance(raw: RawBuilds, as_of: date) -> dict[tuple[Any, ...], Row]:
    result = {}
    for days in PERIOD_LENGTHS:
        timed = [b for b in _within(raw.builds, as_of, days) if b["duration_seconds"] is not None]
        groups = _group(timed, "version")
        if timed:
            groups[("(all)",)] = timed
        for (version,), rows in groups.items():
            durations = [r["duration_seconds"] for r in rows]
            result[(as_of, days, version)] = {
                "build_count": len(rows),
                "avg_duration_seconds": _mean(durations),
                **{
                    f"p{int(q * 100)}_duration_seconds": percentile_cont(durations, q)
                    for q in (0.5, 0.9, 0.95, 0.99)
                },
                "min_duration_seconds": min(durations),
                "max_duration_seconds": max(durations),
            }
    return result


def slowest_builds(raw: RawBuilds, as_of: date) -> dict[tuple[Any, ...], Row]:
    result = {}
    for days in PERIOD_LENGTHS:
        timed = [b for b in _within(raw.builds, as_of, days) if b["duration_seconds"] is not None]
        timed.sort(key=lambda b: (-b["duration_seconds"], b["started_at"], b["event_id"]))
        for rank, build in enumerate(timed[:10], start=1):
            result[(as_of, days, rank)] = {
                column: build[column]
                for column in (
                    "event_id",
                    "request_hash",
                    "version",
                    "target",
                    "profile",
                    "started_at",
                    "duration_seconds",
                    "package_count",
                    "status",
                )
            }
    return result


DAILY = {
    "build_stats_daily": stats_daily,
    "build_stats_version_target": lambda raw: stats_by(raw, "version", "target"),
    "build_stats_profiles": lambda raw: stats_by(raw, "version", "target", "profile"),
    "build_client_stats": client_stats,
    "build_request_stats_daily": request_stats_daily,
    "build_error_stats": error_stats,
    "build_queue_hourly": queue_hourly,
}
SNAPSHOTS = {
    "build_overview": overview,
    "build_performance": performance,
    "build_slowest_builds": slowest_builds,
}


def assert_mart_matches(warehouse: Warehouse, raw: RawBuilds, mart: str) -> int:
    """One mart equals the recomputation (every stored snapshot day of a snapshot mart).
    Returns how many rows were compared."""
    if mart == "build_request_metadata":
        rows = fetch(warehouse, "select * from marts.build_request_metadata")
        assert_rows_match(keyed(rows, "request_hash"), request_metadata(raw), close)
        return len(rows)
    if mart in DAILY:
        rows = fetch(warehouse, f"select * from marts.{mart}")
        assert_rows_match(keyed(rows, *DAILY_MARTS[mart]), DAILY[mart](raw), close)
        return len(rows)
    rows = fetch(warehouse, f"select * from marts.{mart}")
    expected: dict[tuple[Any, ...], Row] = {}
    for as_of in stored_snapshot_days(warehouse, mart):
        expected |= SNAPSHOTS[mart](raw, as_of)
    assert_rows_match(keyed(rows, *SNAPSHOT_MARTS[mart]), expected, close)
    return len(rows)


def assert_every_mart_matches(warehouse: Warehouse, raw: RawBuilds) -> dict[str, int]:
    marts = [*DAILY, "build_request_metadata", *SNAPSHOTS]
    return {mart: assert_mart_matches(warehouse, raw, mart) for mart in marts}
