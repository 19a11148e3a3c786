"""The registry marts recomputed in plain Python from the raw tables, independently of dbt.

Nothing here reads staging or marts: it takes raw rows, deduplicates them on event_id the
way the design says (first loaded wins), keeps the current version of each catalog row (the
latest load wins), and applies the definitions documented in
dbt_project/models/marts/registry/_registry__models.yml. Snapshot marts are recomputed as of
any day, so every stored snapshot can be checked, not only the latest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from ingest.warehouse import Warehouse
from tests.recompute import (
    Row,
    assert_rows_match,
    close,
    complete_through,
    fetch,
    first_loaded,
    keyed,
    percentile_cont,
    period_end,
    period_start,
    stored_snapshot_days,
    utc_day,
)

TRENDING_MIN_DOWNLOADS = 20
UNUSED_FIELD_DAYS = 90
HIGH_IMPACT_DEPENDENTS = 5


def _current_versions(rows: list[Row], *key: str) -> list[Row]:
    """One row per natural key of a catalog: the version of the highest _load_id (the latest
    load wins; raw keeps every version)."""
    current: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        natural = tuple(row[k] for k in key)
        if natural not in current or row["_load_id"] > current[natural]["_load_id"]:
            current[natural] = row
    return list(current.values())


def round2(value: Fraction | Decimal | float) -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class RawRegistry:
    downloads: list[Row]
    views: list[Row]
    compilations: list[Row]
    field_usage: list[Row]
    modules: list[Row]
    versions: list[Row]
    fields: list[Row]
    dependencies: list[Row]
    complete_through: date
    first_event_day: date

    @classmethod
    def read(cls, warehouse: Warehouse) -> RawRegistry:
        raw = cls(
            downloads=first_loaded(
                fetch(warehouse, "select * from raw.download_events"), "downloaded_at"
            ),
            views=first_loaded(
                fetch(warehouse, "select * from raw.module_view_events"), "viewed_at"
            ),
            compilations=first_loaded(
                fetch(warehouse, "select * from raw.compilation_events"), "started_at"
            ),
            field_usage=first_loaded(
                fetch(warehouse, "select * from raw.field_usage_events"), "used_at"
            ),
            modules=_current_versions(fetch(warehouse, "select * from raw.modules"), "module_name"),
            versions=_current_versions(
                fetch(warehouse, "select * from raw.module_versions"), "module_name", "version"
            ),
            fields=_current_versions(
                fetch(warehouse, "select * from raw.schema_fields"),
                "module_name",
                "version",
                "message_name",
                "field_name",
            ),
            dependencies=_current_versions(
                fetch(warehouse, "select * from raw.module_dependencies"),
                "module_name",
                "version",
                "depends_on_module",
            ),
            complete_through=complete_through(warehouse, "registry"),
            first_event_day=date.max,
        )
        raw.first_event_day = min(row["day"] for row in raw.events())
        return raw

    def events(self) -> Iterable[Row]:
        yield from self.activity()
        yield from self.field_usage

    def is_complete(self, first: date, last: date) -> bool:
        """The period lies inside the data: from its first event day to its last complete day."""
        return self.first_event_day <= first and last <= self.complete_through

    def activity(self) -> Iterable[Row]:
        yield from self.downloads
        yield from self.views
        yield from self.compilations


@dataclass
class _Bucket:
    views: int = 0
    downloads: int = 0
    failed: int = 0
    cache_hits: int = 0
    users: set[str] = field(default_factory=set)
    orgs: set[str] = field(default_factory=set)
    compilations: int = 0
    compilation_successes: int = 0
    download_bytes: int = 0
    durations: list[int] = field(default_factory=list)


def module_stats(raw: RawRegistry, grain: str) -> dict[tuple[date, str], Row]:
    buckets: dict[tuple[date, str], _Bucket] = defaultdict(_Bucket)

    def bucket(row: Row) -> _Bucket:
        return buckets[(period_start(row["day"], grain), row["module_name"])]

    for row in raw.activity():
        target = bucket(row)
        if row["user_id"] is not None:
            target.users.add(row["user_id"])
        if row["organization_id"] is not None:
            target.orgs.add(row["organization_id"])
    for row in raw.views:
        bucket(row).views += 1
    for row in raw.downloads:
        target = bucket(row)
        if row["success"]:
            target.downloads += 1
            target.cache_hits += row["cache_hit"]
            target.download_bytes += row["file_size"] or 0
        else:
            target.failed += 1
    for row in raw.compilations:
        target = bucket(row)
        target.compilations += 1
        target.compilation_successes += row["success"]
        if row["duration_ms"] is not None:
            target.durations.append(row["duration_ms"])
    return {
        key: {
            "period_end": period_end(key[0], grain),
            "view_count": b.views,
            "download_count": b.downloads,
            "failed_download_count": b.failed,
            "cache_hit_download_count": b.cache_hits,
            "unique_users": len(b.users),
            "unique_orgs": len(b.orgs),
            "compilation_count": b.compilations,
            "compilation_success_count": b.compilation_successes,
            "total_download_bytes": b.download_bytes,
            "avg_compilation_duration_ms": (
                sum(b.durations) / len(b.durations) if b.durations else None
            ),
            "is_complete": raw.is_complete(key[0], period_end(key[0], grain)),
        }
        for key, b in buckets.items()
    }


def language_stats(raw: RawRegistry) -> dict[tuple[date, str], Row]:
    groups: dict[tuple[date, str], list[Row]] = defaultdict(list)
    for row in raw.compilations:
        groups[(row["day"], row["language"])].append(row)
    result = {}
    for key, rows in groups.items():
        durations = [float(r["duration_ms"]) for r in rows if r["duration_ms"] is not None]
        count = len(rows)
        failures = sum(not r["success"] for r in rows)
        hits = sum(r["cache_hit"] for r in rows)
        result[key] = {
            "compilation_count": count,
            "success_count": count - failures,
            "failure_count": failures,
            "avg_duration_ms": sum(durations) / len(durations),
            "p50_duration_ms": percentile_cont(durations, 0.5),
            "p95_duration_ms": percentile_cont(durations, 0.95),
            "p99_duration_ms": percentile_cont(durations, 0.99),
            "total_output_bytes": sum(r["output_size"] or 0 for r in rows),
            "cache_hit_count": hits,
            "cache_miss_count": count - hits,
            "failure_rate": failures / count,
            "cache_hit_rate": hits / count,
            "is_complete": raw.is_complete(key[0], key[0]),
        }
    return result


def org_stats(raw: RawRegistry) -> dict[tuple[date, str], Row]:
    """Rows only on days of registry data (any download, view or compilation)."""
    data_days = {row["day"] for row in raw.activity()}
    module_org = {m["module_name"]: m["organization_id"] for m in raw.modules}
    version_rows = [
        (module_org[v["module_name"]], utc_day(v["created_at"]), v["size_bytes"])
        for v in raw.versions
    ]
    counters: dict[tuple[date, str], Row] = defaultdict(
        lambda: {
            "api_requests": 0,
            "downloads": 0,
            "compilations": 0,
            "users": set(),
            "modules_created": 0,
            "versions_created": 0,
        }
    )
    for kind, rows in (
        ("download", raw.downloads),
        ("view", raw.views),
        ("compilation", raw.compilations),
    ):
        for row in rows:
            if row["organization_id"] is None:
                continue
            target = counters[(row["day"], row["organization_id"])]
            target["api_requests"] += 1
            target["downloads"] += kind == "download" and row["success"]
            target["compilations"] += kind == "compilation"
            if row["user_id"] is not None:
                target["users"].add(row["user_id"])
    for module in raw.modules:
        counters[(utc_day(module["created_at"]), module["organization_id"])]["modules_created"] += 1
    for org, created, _ in version_rows:
        counters[(created, org)]["versions_created"] += 1
    return {
        (day, org): {
            "api_requests": c["api_requests"],
            "downloads": c["downloads"],
            "compilations": c["compilations"],
            "storage_bytes": sum(s for o, d, s in version_rows if o == org and d <= day),
            "active_users": len(c["users"]),
            "modules_created": c["modules_created"],
            "versions_created": c["versions_created"],
            "is_complete": raw.is_complete(day, day),
        }
        for (day, org), c in counters.items()
        if day in data_days
    }


def _downloads_between(raw: RawRegistry, first: date, last: date) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in raw.downloads:
        if row["success"] and first <= row["day"] <= last:
            totals[row["module_name"]] += 1
    return totals


def top_modules(raw: RawRegistry, as_of: date) -> list[Row]:
    first = as_of - timedelta(days=29)
    downloads = _downloads_between(raw, first, as_of)
    views: dict[str, int] = defaultdict(int)
    for row in raw.views:
        if first <= row["day"] <= as_of:
            views[row["module_name"]] += 1
    ranked = sorted((m for m in downloads if downloads[m] > 0), key=lambda m: (-downloads[m], m))[
        :100
    ]
    return [
        {
            "download_rank": rank,
            "module_name": m,
            "download_count": downloads[m],
            "view_count": views[m],
        }
        for rank, m in enumerate(ranked, start=1)
    ]


def trending(raw: RawRegistry, as_of: date) -> list[Row]:
    current = _downloads_between(raw, as_of - timedelta(days=6), as_of)
    previous = _downloads_between(raw, as_of - timedelta(days=13), as_of - timedelta(days=7))
    scored = []
    for module, now in current.items():
        before = previous.get(module, 0)
        if now >= TRENDING_MIN_DOWNLOADS and now > before:
            score = (now - before) / max(before, TRENDING_MIN_DOWNLOADS)
            scored.append((module, now, before, score, (now - before) / before if before else None))
    by_score = sorted(scored, key=lambda s: (-s[3], -s[1], s[0]))
    by_growth = sorted((s for s in scored if s[4] is not None), key=lambda s: (-s[4], -s[1], s[0]))
    trend_rank = {s[0]: rank for rank, s in enumerate(by_score[:50], start=1)}
    growth_rank = {s[0]: rank for rank, s in enumerate(by_growth[:50], start=1)}
    return [
        {
            "trend_rank": trend_rank.get(m),
            "growth_rank": growth_rank.get(m),
            "module_name": m,
            "current_downloads": now,
            "previous_downloads": before,
            "trend_score": score,
            "growth_rate": growth,
            "is_new": before == 0,
        }
        for m, now, before, score, growth in scored
        if m in trend_rank or m in growth_rank
    ]


def overview(raw: RawRegistry, as_of: date) -> Row:
    month = [
        r for r in raw.downloads if r["success"] and as_of - timedelta(days=29) <= r["day"] <= as_of
    ]
    week_users = {
        r["user_id"]
        for r in raw.activity()
        if r["user_id"] is not None and as_of - timedelta(days=6) <= r["day"] <= as_of
    }
    return {
        "total_modules": sum(utc_day(m["created_at"]) <= as_of for m in raw.modules),
        "total_versions": sum(utc_day(v["created_at"]) <= as_of for v in raw.versions),
        "downloads_30d": len(month),
        "active_users_7d": len(week_users),
        "cache_hit_rate_30d": sum(r["cache_hit"] for r in month) / len(month),
    }


def _bounded(numerator: Fraction | int, denominator: int) -> Fraction:
    return min(Fraction(numerator) / denominator, Fraction(1))


def health_scores(raw: RawRegistry, as_of: date) -> dict[tuple[str, str], Row]:
    versions = [v for v in raw.versions if utc_day(v["created_at"]) <= as_of]
    latest = {}
    for v in sorted(versions, key=lambda v: v["created_at"]):
        latest[v["module_name"]] = v["version"]
    used = {
        (u["module_name"], u["version"], u["message_name"], u["field_name"])
        for u in raw.field_usage
        if as_of - timedelta(days=UNUSED_FIELD_DAYS) < u["day"] <= as_of
    }
    fields_of: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for f in raw.fields:
        fields_of[(f["module_name"], f["version"])].append(f)
    dependents: dict[str, set[str]] = defaultdict(set)
    imports: dict[tuple[str, str], int] = defaultdict(int)
    for d in raw.dependencies:
        imports[(d["module_name"], d["version"])] += 1
        if latest.get(d["module_name"]) == d["version"]:
            dependents[d["depends_on_module"]].add(d["module_name"])
    scores = {}
    for v in versions:
        key = (v["module_name"], v["version"])
        fields = fields_of[key]
        messages = len({f["message_name"] for f in fields})
        unused = sum(
            (f["module_name"], f["version"], f["message_name"], f["field_name"]) not in used
            for f in fields
        )
        deprecated = sum(f["is_deprecated"] for f in fields)
        depth = max((f["nesting_depth"] for f in fields), default=0)
        breaking = sum(
            w["is_breaking_change"] and as_of - timedelta(days=90) < utc_day(w["created_at"])
            for w in versions
            if w["module_name"] == v["module_name"]
        )
        avg_fields = Fraction(len(fields), messages) if messages else Fraction(0)
        per_month = Fraction(breaking, 3)
        complexity = min(
            Fraction(100),
            40 * _bounded(messages, 20) + 35 * _bounded(avg_fields, 25) + 25 * _bounded(depth, 5),
        )
        maintainability = (
            100
            - 50 * _bounded(avg_fields, 30)
            - 30 * _bounded(depth, 6)
            - 20 * _bounded(imports[key], 10)
        )
        unused_score = 100 * (1 - Fraction(unused, len(fields))) if fields else Fraction(100)
        deprecated_score = (
            100 * (1 - Fraction(deprecated, len(fields))) if fields else Fraction(100)
        )
        breaking_score = max(Fraction(0), 100 - 25 * per_month)
        total = (
            Fraction(25, 100) * (100 - complexity)
            + Fraction(35, 100) * maintainability
            + Fraction(15, 100) * unused_score
            + Fraction(10, 100) * deprecated_score
            + Fraction(15, 100) * breaking_score
        )
        checks: list[tuple[bool, str]] = [
            (complexity > 70, "split_large_module"),
            (unused > 5, "remove_unused_fields"),
            (deprecated > 3, "clean_up_deprecations"),
            (per_month > 2, "reduce_breaking_changes"),
            (
                len(dependents[v["module_name"]]) >= HIGH_IMPACT_DEPENDENTS,
                "coordinate_with_dependents",
            ),
        ]
        scores[key] = {
            "health_score": round2(total),
            "complexity_score": round2(100 - complexity),
            "maintainability_score": round2(maintainability),
            "unused_field_score": round2(unused_score),
            "deprecated_field_score": round2(deprecated_score),
            "breaking_change_score": round2(breaking_score),
            "unused_field_count": unused,
            "deprecated_field_count": deprecated,
            "field_count": len(fields),
            "dependent_count": len(dependents[v["module_name"]]),
            "recommendations": [name for applies, name in checks if applies],
        }
    return scores


def assert_every_mart_matches(warehouse: Warehouse, raw: RawRegistry) -> dict[str, int]:
    """Every registry mart equals the recomputation: every rollup row, and every snapshot of
    every stored as_of_date. Returns how many snapshot days each snapshot mart holds."""
    grains = {"daily": "day", "weekly": "week", "monthly": "month"}
    for name, grain in grains.items():
        mart = keyed(
            fetch(warehouse, f"select * from marts.module_stats_{name}"),
            "period_start",
            "module_name",
        )
        assert_rows_match(mart, module_stats(raw, grain), close)
    languages = fetch(warehouse, "select * from marts.language_stats_daily")
    assert_rows_match(keyed(languages, "period_start", "language"), language_stats(raw), close)
    orgs = fetch(warehouse, "select * from marts.org_stats_daily")
    assert_rows_match(keyed(orgs, "period_start", "organization_id"), org_stats(raw), close)

    snapshot_days = {}
    for mart, key, recompute in (
        ("top_modules_30d", ("download_rank",), top_modules),
        ("trending_modules", ("module_name",), trending),
        ("registry_overview", (), lambda raw, day: [overview(raw, day)]),
    ):
        days = stored_snapshot_days(warehouse, mart)
        for day in days:
            rows = fetch(warehouse, f"select * from marts.{mart} where as_of_date = '{day}'")
            assert_rows_match(keyed(rows, *key), keyed(recompute(raw, day), *key), close)
        snapshot_days[mart] = len(days)
    days = stored_snapshot_days(warehouse, "module_health_scores")
    for day in days:
        rows = fetch(
            warehouse, f"select * from marts.module_health_scores where as_of_date = '{day}'"
        )
        assert_rows_match(keyed(rows, "module_name", "version"), health_scores(raw, day), close)
    snapshot_days["module_health_scores"] = len(days)
    return snapshot_days
