"""The product's metric marts recomputed in plain Python from raw.metrics, independently of
dbt.

Written from the seeds (002's metric_aggregates and dashboard_metrics, 003's LLM performance
benchmarks) and the definitions in dbt_project/models/marts/product/_product__models.yml, not
from the SQL: nothing here reads staging or marts. A point is a row of raw.metrics, one per
event_id (the first loaded wins), on the UTC day and hour of recorded_at. Percentiles are
PostgreSQL's percentile_cont over the period's points.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ingest.warehouse import Warehouse
from tests.product import recompute
from tests.recompute import (
    fetch,
    first_loaded,
    loaded_through,
    percentile_cont,
    period_end,
    period_start,
    utc_day,
)

Row = dict[str, Any]
Key = tuple[Any, ...]
GRAINS = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}
ALL_TAGS = "(all)"
PERCENTILES = {"p50_value": 0.5, "p90_value": 0.9, "p95_value": 0.95, "p99_value": 0.99}
# Seed 003's LLM performance benchmarks: per metric, (lower, upper) of buckets 1 to 4.
INF = float("inf")
BUCKETS = {
    "llm.ttft_ms": [(-INF, 500), (500, 1000), (1000, 2000), (2000, INF)],
    "llm.tpot_ms": [(-INF, 20), (20, 40), (40, 60), (60, INF)],
    "llm.throughput_tps": [(50, INF), (30, 50), (15, 30), (-INF, 15)],
}
CACHE_TARGET = 0.7
# The dashboard's headline metrics: key -> (metric name, type, statistic).
HEADLINES = {
    "api_requests": ("api.request.duration", "timer", "count"),
    "api_latency_p95_ms": ("api.request.duration", "timer", "p95"),
    "database_query_p95_ms": ("database.query.duration", "timer", "p95"),
    "active_users_avg": ("users.active", "gauge", "avg"),
    "active_users_max": ("users.active", "gauge", "max"),
    "missions_created": ("missions.created", "counter", "sum"),
    "llm_ttft_p95_ms": ("llm.ttft_ms", "timer", "p95"),
    "llm_tpot_p95_ms": ("llm.tpot_ms", "timer", "p95"),
    "llm_throughput_p50_tps": ("llm.throughput_tps", "gauge", "p50"),
    "llm_generation_p50_ms": ("llm.generation_ms", "histogram", "p50"),
    "llm_cache_hit_rate": ("llm.cache.hit", "histogram", "avg"),
}


def canonical_json(value: Any) -> str:
    """A JSON value as PostgreSQL's jsonb prints it: object keys ordered by length, then
    bytes; ", " and ": " separators; non-ASCII kept."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: "
                               f"{canonical_json(value[k])}" for k in keys) + "}"  # fmt: skip
    if isinstance(value, list):
        return "[" + ", ".join(canonical_json(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@dataclass
class RawMetrics:
    points: list[Row]
    first_event_day: date
    loaded_through: datetime

    @property
    def complete_through(self) -> date:
        return utc_day(self.loaded_through) - timedelta(days=1)

    @classmethod
    def read(cls, warehouse: Warehouse) -> RawMetrics:
        """The points, and the product source's coverage from the load ledger (its event
        feeds: analytics_events and metrics)."""
        [first] = fetch(
            warehouse,
            "select least((select min(occurred_at) from raw.analytics_events),"
            " (select min(recorded_at) from raw.metrics)) as first",
        )
        points = first_loaded(
            fetch(warehouse, "select *, metric_type::text as metric_type from raw.metrics"),
            "recorded_at",
        )
        for point in points:
            tags = point["tags"]
            point["tags"] = "{}" if tags is None else canonical_json(tags)
            moment = point["recorded_at"].astimezone(UTC)
            point["hour"] = moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        return cls(points, utc_day(first["first"]), loaded_through(warehouse, "product"))

    def is_complete(self, first: date, last: date) -> bool:
        return self.first_event_day <= first and last <= self.complete_through

    def hour_is_complete(self, hour: datetime) -> bool:
        start = datetime.combine(self.first_event_day, datetime.min.time())
        ends = (hour + timedelta(hours=1)).replace(tzinfo=UTC)
        return hour >= start and ends <= self.loaded_through


def _group(rows: Iterable[Row], key: Callable[[Row], Key]) -> dict[Key, list[Row]]:
    groups: dict[Key, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _statistics(points: list[Row]) -> Row:
    values = [p["value"] for p in points]
    units = [p["unit"] for p in points if p["unit"] is not None]
    return {
        "unit": min(units) if units else None,
        "point_count": len(values),
        "sum_value": float(sum(values)),
        "min_value": min(values),
        "max_value": max(values),
        "avg_value": sum(values) / len(values),
        **{column: percentile_cont(values, f) for column, f in PERCENTILES.items()},
        "first_recorded_at": min(p["recorded_at"] for p in points),
        "last_recorded_at": max(p["recorded_at"] for p in points),
    }


def aggregates(raw: RawMetrics, grain: str) -> dict[Key, Row]:
    """Per period (and hour), name, type and tag set, and per period, name and type over
    every tag set (tags '(all)')."""

    def period(p: Row) -> Key:
        if grain == "hour":
            return (p["day"], p["hour"])
        return (period_start(p["day"], grain),)

    result = {}
    by_tags = _group(raw.points, lambda p: (*period(p), p["name"], p["metric_type"], p["tags"]))
    over_all = _group(raw.points, lambda p: (*period(p), p["name"], p["metric_type"], ALL_TAGS))
    for key, points in (by_tags | over_all).items():
        if grain == "hour":
            complete = raw.hour_is_complete(key[1])
        else:
            complete = raw.is_complete(key[0], period_end(key[0], grain))
        result[key] = _statistics(points) | {"is_complete": complete}
    return result


def buckets(raw: RawMetrics) -> dict[Key, Row]:
    result = {}
    llm = [p for p in raw.points if p["name"] in BUCKETS]
    for (day, name), points in _group(llm, lambda p: (p["day"], p["name"])).items():
        for number, (lower, upper) in enumerate(BUCKETS[name], start=1):
            inside = sum(lower <= p["value"] < upper for p in points)
            result[(day, name, number)] = {
                "lower_bound": None if lower == -INF else float(lower),
                "upper_bound": None if upper == INF else float(upper),
                "points": inside,
                "share_of_points": inside / len(points),
                "is_complete": raw.is_complete(day, day),
            }
    return result


def _doc_type(point: Row) -> str:
    tags = json.loads(point["tags"])
    value = tags.get("doc_type") if isinstance(tags, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, str | int | float) else "(none)"


def generation_time(raw: RawMetrics) -> dict[Key, Row]:
    generations = [p for p in raw.points if p["name"] == "llm.generation_ms"]
    result = {}
    for (day, doc_type), points in _group(generations, lambda p: (p["day"], _doc_type(p))).items():
        values = [p["value"] for p in points]
        result[(day, doc_type)] = {
            "generations": len(values),
            "total_generation_ms": float(sum(values)),
            "avg_generation_ms": sum(values) / len(values),
            "min_generation_ms": min(values),
            "max_generation_ms": max(values),
            **{
                f"p{int(f * 100)}_generation_ms": percentile_cont(values, f)
                for f in PERCENTILES.values()
            },
            "is_complete": raw.is_complete(day, day),
        }
    return result


def prompt_cache(raw: RawMetrics) -> dict[Key, Row]:
    lookups = [p for p in raw.points if p["name"] == "llm.cache.hit"]
    result = {}
    for (day,), points in _group(lookups, lambda p: (p["day"],)).items():
        hits = sum(p["value"] > 0 for p in points)
        result[(day,)] = {
            "lookups": len(points),
            "hits": hits,
            "misses": len(points) - hits,
            "hit_rate": hits / len(points),
            "target_hit_rate": CACHE_TARGET,
            "meets_target": hits / len(points) >= CACHE_TARGET,
            "is_complete": raw.is_complete(day, day),
        }
    return result


def _previous_start(start: date, grain: str) -> date:
    if grain == "month":
        return (start - timedelta(days=1)).replace(day=1)
    return start - timedelta(days=7 if grain == "week" else 1)


def dashboard(raw: RawMetrics) -> dict[Key, Row]:
    statistic_column = {
        "count": "point_count", "sum": "sum_value", "avg": "avg_value",
        "max": "max_value", "p50": "p50_value", "p95": "p95_value",
    }  # fmt: skip
    values: dict[Key, tuple[float, bool]] = {}
    for grain in ("day", "week", "month"):
        rows = aggregates(raw, grain)
        for metric_key, (name, metric_type, statistic) in HEADLINES.items():
            for (start, row_name, row_type, tags), row in rows.items():
                if (row_name, row_type, tags) == (name, metric_type, ALL_TAGS):
                    value = float(row[statistic_column[statistic]])
                    values[(grain, start, metric_key)] = (value, row["is_complete"])
    latest: dict[Key, date] = {}
    for grain, start, metric_key in values:
        latest[(grain, metric_key)] = max(start, latest.get((grain, metric_key), start))
    result = {}
    for (grain, start, metric_key), (value, complete) in values.items():
        previous = values.get((grain, _previous_start(start, grain), metric_key))
        before = previous[0] if previous else None
        result[(grain, start, metric_key)] = {
            "period_end": period_end(start, grain),
            "metric_value": value,
            "previous_value": before,
            "change_percent": (value - before) / abs(before) * 100 if before else None,
            "is_complete": complete,
            "previous_is_complete": previous[1] if previous else False,
            "is_latest": start == latest[(grain, metric_key)],
        }
    return result


HOUR_KEY: dict[str, tuple[str, ...]] = {"hour": ("hour_start",)}
MARTS: dict[str, tuple[tuple[str, ...], Callable[[RawMetrics], dict[Key, Row]]]] = {
    **{
        f"metric_aggregates_{name}": (
            ("period_start", *HOUR_KEY.get(grain, ()), "metric_name", "metric_type", "tags"),
            lambda raw, g=grain: aggregates(raw, g),
        )
        for name, grain in GRAINS.items()
    },
    "llm_performance_buckets_daily": (("period_start", "metric_name", "bucket_number"), buckets),
    "llm_generation_time_daily": (("period_start", "doc_type"), generation_time),
    "llm_prompt_cache_daily": (("period_start",), prompt_cache),
    "dashboard_metrics": (("grain", "period_start", "metric_key"), dashboard),
}


def assert_mart_matches(warehouse: Warehouse, raw: RawMetrics, mart: str) -> int:
    """The mart equals its recomputation, every recomputed column; returns its row count."""
    return recompute.assert_mart_matches(warehouse, raw, mart, MARTS)


def assert_every_mart_matches(warehouse: Warehouse, raw: RawMetrics) -> dict[str, int]:
    return {mart: assert_mart_matches(warehouse, raw, mart) for mart in MARTS}
