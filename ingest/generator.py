"""Deterministic sample data for the four source systems, written as landing files.

The demo and the tests load these files through the real loader, so the data carries the
shapes the marts must handle: skewed popularity (Zipf), daily and weekly cycles, modules that
grow and modules that decline (trending has signal), failures with error categories, cache
hits, sessions that walk a funnel, late events (in a file days after their event time), exact
re-sends (duplicates) and a small share of invalid rows of every class the loader rejects.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

Row = dict[str, Any]

# Share of a day's traffic in each UTC hour: quiet nights, a working-day peak.
HOURLY_WEIGHTS = [2, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 9, 10, 10, 9, 8, 7, 6, 5, 4, 4, 3, 2]
WEEKDAY_FACTOR = [1.0, 1.05, 1.05, 1.0, 0.95, 0.55, 0.5]  # Monday first
# Modules grow and decline over the last TREND_DAYS of a range only: a long history stays
# steady before them, instead of compounding until a few modules take every event.
TREND_DAYS = 30
# How the total is split between the raw event tables.
TABLE_SHARES = {
    "download_events": 0.20,
    "module_view_events": 0.15,
    "compilation_events": 0.08,
    "field_usage_events": 0.03,
    "action_results": 0.12,
    "analytics_events": 0.20,
    "metrics": 0.07,
    "build_requests": 0.08,
    "build_events": 0.07,
}
LANGUAGES = ["go", "python", "typescript", "java", "rust", "cpp", "csharp"]
USER_AGENTS = [
    "spoke-cli/1.4.2 (linux; amd64)",
    "spoke-cli/1.5.0 (darwin; arm64)",
    "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) Safari/605.1.15",
    "spoke-go-sdk/0.9.1",
    "spoke-python-sdk/2.1.0",
]
COMPILE_ERRORS = ["syntax", "import_not_found", "type_mismatch", "timeout"]
ACTION_ERRORS = [
    "connection refused",
    "HTTP 500 from endpoint",
    "invalid recipient",
    "gas estimation failed",
    "rate limited",
]
BUILD_ERRORS = {
    "validation": "unknown package requested",
    "container": "container exited with code 137",
    "build": "make: *** [image] Error 2",
    "storage": "no space left on device",
    "network": "could not download package index",
}
TARGETS = ["x86/64", "ath79/generic", "ramips/mt7621", "mediatek/filogic", "bcm27xx/bcm2711"]
FIRMWARE_VERSIONS = ["23.05.5", "24.10.0", "24.10.1", "SNAPSHOT"]
BUILD_CLIENTS = ["asu-web/2.3", "owut/2024.12", "luci-app-attendedsysupgrade/1.1", "auc/0.3"]
METRICS = [  # name, type, unit, median, spread
    ("llm.ttft_ms", "timer", "ms", 700.0, 0.6),
    ("llm.tpot_ms", "timer", "ms", 30.0, 0.4),
    ("llm.generation_ms", "histogram", "ms", 25_000.0, 0.5),
    ("api.requests", "counter", "requests", 40.0, 0.8),
    ("queue.depth", "gauge", "jobs", 5.0, 0.9),
]
FUNNEL = ["session_start", "code_input", "doc_generation", "doc_export", "signup", "trial"]
FUNNEL_CONTINUE = [1.0, 0.8, 0.75, 0.5, 0.15, 0.4]


@dataclass(frozen=True)
class GeneratorSpec:
    events: int = 200_000
    days: int = 60
    end_date: date | None = None  # default: yesterday (UTC)
    seed: int = 42
    file_format: str = "csv"
    late_share: float = 0.03
    duplicate_share: float = 0.005
    invalid_share: float = 0.002
    volume_growth: float = 0.004  # day i of the range weighs 1 + volume_growth * i

    @property
    def last_day(self) -> date:
        return self.end_date or (datetime.now(UTC).date() - timedelta(days=1))

    @property
    def first_day(self) -> date:
        return self.last_day - timedelta(days=self.days - 1)

    def clean(self) -> GeneratorSpec:
        """The same data without late, duplicate or invalid rows (for benchmarks)."""
        return replace(self, late_share=0.0, duplicate_share=0.0, invalid_share=0.0)

    def steady(self) -> GeneratorSpec:
        """The same data at a constant daily volume (weekly cycle only): every day of a long
        history then looks like every day of a short one, which is what a benchmark comparing
        history sizes needs."""
        return replace(self, volume_growth=0.0)


@dataclass
class Catalog:
    """The registry catalog, and the populations every source draws from."""

    modules: list[Row] = field(default_factory=list)
    versions: list[Row] = field(default_factory=list)
    fields: list[Row] = field(default_factory=list)
    dependencies: list[Row] = field(default_factory=list)
    triggers: list[Row] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    user_org: dict[str, str] = field(default_factory=dict)
    growth: dict[str, float] = field(default_factory=dict)
    module_language: dict[str, str] = field(default_factory=dict)
    latest_version: dict[str, str] = field(default_factory=dict)


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _moment(rng: random.Random, day: date) -> datetime:
    hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(
        seconds=rng.random() * 3600
    )


def _zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


def build_catalog(spec: GeneratorSpec) -> Catalog:
    rng = random.Random(f"{spec.seed}:catalog")
    catalog = Catalog()
    module_count = max(40, min(2000, spec.events // 1000))
    org_count = max(8, module_count // 5)
    orgs = [f"org-{index:04d}" for index in range(org_count)]
    catalog.users = [f"user-{index:05d}" for index in range(max(50, module_count * 4))]
    catalog.user_org = {user: rng.choice(orgs) for user in catalog.users}
    start = datetime.combine(spec.first_day, datetime.min.time(), UTC)
    for index in range(module_count):
        name = f"{rng.choice(['acme', 'core', 'pay', 'geo', 'iam', 'ml'])}.svc{index:04d}"
        created = start - timedelta(days=rng.randint(30, 400))
        # Most modules are steady; some grow fast, some decline (signal for trending).
        roll = rng.random()
        catalog.growth[name] = 0.06 if roll < 0.08 else -0.04 if roll < 0.16 else 0.0
        catalog.module_language[name] = rng.choices(LANGUAGES, weights=[6, 5, 4, 3, 2, 1, 1])[0]
        catalog.modules.append(
            {
                "module_name": name,
                "organization_id": orgs[index % org_count],
                "created_at": _timestamp(created),
                "description": f"Schemas of service {index}",
            }
        )
        _add_versions(rng, catalog, name, created, start + timedelta(days=spec.days))
    names = [module["module_name"] for module in catalog.modules]
    for module in names:
        for dependency in rng.sample(names, k=rng.choice([0, 0, 1, 2, 3])):
            if dependency != module:
                catalog.dependencies.append(
                    {
                        "module_name": module,
                        "version": catalog.latest_version[module],
                        "depends_on_module": dependency,
                    }
                )
    catalog.triggers = [
        {
            "trigger_id": f"trg-{index:04d}",
            "organization_id": rng.choice(orgs),
            "name": f"notify on {event}",
            "event_type": event,
            "action_type": rng.choices(["webhook", "email", "contract_call"], [6, 3, 1])[0],
            "is_active": rng.random() > 0.1,
            "created_at": _timestamp(start - timedelta(days=rng.randint(1, 200))),
        }
        for index, event in enumerate(
            rng.choice(["agent.registered", "feedback.submitted", "validation.completed"])
            for _ in range(max(20, module_count // 2))
        )
    ]
    return catalog


def _add_versions(
    rng: random.Random, catalog: Catalog, module: str, created: datetime, until: datetime
) -> None:
    version_count = rng.randint(1, 8)
    span = (until - created) / version_count
    messages = rng.randint(1, 12)
    fields_per_message = rng.randint(2, 18)
    for number in range(version_count):
        version = f"v1.{number}.0"
        catalog.latest_version[module] = version
        catalog.versions.append(
            {
                "module_name": module,
                "version": version,
                "created_at": _timestamp(created + span * number + timedelta(hours=rng.random())),
                "created_by": rng.choice(catalog.users),
                "is_breaking_change": number > 0 and rng.random() < 0.2,
                "size_bytes": rng.randint(2_000, 400_000),
            }
        )
        for message in range(messages):
            for position in range(fields_per_message):
                catalog.fields.append(
                    {
                        "module_name": module,
                        "version": version,
                        "message_name": f"Message{message}",
                        "field_name": f"field_{position}",
                        "field_type": rng.choice(["string", "int64", "bool", "bytes", "Message0"]),
                        "nesting_depth": rng.choice([0, 0, 0, 1, 1, 2, 3, 4]),
                        "is_deprecated": position > 1 and rng.random() < 0.08 * (number + 1) / 2,
                    }
                )


class _DayPicker:
    """Weighted choice of modules on a given day, with each module's growth applied."""

    def __init__(self, catalog: Catalog, spec: GeneratorSpec) -> None:
        self.names = [module["module_name"] for module in catalog.modules]
        self.base = _zipf_weights(len(self.names))
        self.growth = [catalog.growth[name] for name in self.names]
        self.trend_start = max(spec.first_day, spec.last_day - timedelta(days=TREND_DAYS - 1))

    def cumulative(self, day: date) -> list[float]:
        age = max(0, (day - self.trend_start).days)
        total, cumulative = 0.0, []
        for weight, growth in zip(self.base, self.growth, strict=True):
            total += weight * math.exp(growth * age)
            cumulative.append(total)
        return cumulative


def _ip(rng: random.Random) -> str:
    return (
        f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


def _registry_rows(table: str, catalog: Catalog, picker: _DayPicker) -> RowMaker:
    def make(rng: random.Random, day: date, count: int, sequence: Iterator[int]) -> list[Row]:
        modules = rng.choices(picker.names, cum_weights=picker.cumulative(day), k=count)
        rows = []
        for module in modules:
            user = rng.choice(catalog.users) if rng.random() < 0.9 else None
            org = catalog.user_org[user] if user else None
            when = _moment(rng, day)
            version = catalog.latest_version[module]
            language = catalog.module_language[module]
            event_id = f"{table[:3]}-{next(sequence):011d}"
            if table == "download_events":
                success = rng.random() > 0.02
                rows.append(
                    {
                        "event_id": event_id,
                        "downloaded_at": _timestamp(when),
                        "user_id": user,
                        "organization_id": org,
                        "module_name": module,
                        "version": version,
                        "language": rng.choice([language, language, rng.choice(LANGUAGES)]),
                        "file_size": rng.randint(1_000, 900_000),
                        "duration_ms": rng.randint(5, 900),
                        "success": success,
                        "error_message": None if success else "storage timeout",
                        "ip_address": _ip(rng),
                        "user_agent": rng.choice(USER_AGENTS),
                        "client_sdk": rng.choice(["cli", "go-sdk", "python-sdk", "web"]),
                        "client_version": rng.choice(["1.4.2", "1.5.0", "0.9.1"]),
                        "cache_hit": rng.random() < 0.7,
                    }
                )
            elif table == "module_view_events":
                rows.append(
                    {
                        "event_id": event_id,
                        "viewed_at": _timestamp(when),
                        "user_id": user,
                        "organization_id": org,
                        "module_name": module,
                        "version": version,
                        "source": rng.choices(["web", "api", "cli"], [6, 3, 1])[0],
                        "page_type": rng.choices(["list", "detail", "search"], [2, 5, 2])[0],
                        "referrer": rng.choice([None, "https://search.example.com", "internal"]),
                        "ip_address": _ip(rng),
                        "user_agent": rng.choice(USER_AGENTS),
                    }
                )
            elif table == "compilation_events":
                cache_hit = rng.random() < 0.45
                base = {
                    "go": 800,
                    "python": 500,
                    "typescript": 1200,
                    "java": 2500,
                    "rust": 4000,
                    "cpp": 3500,
                    "csharp": 2000,
                }[language]
                duration = int(base * (0.1 if cache_hit else 1) * rng.lognormvariate(0, 0.5))
                success = rng.random() > (0.03 if cache_hit else 0.08)
                rows.append(
                    {
                        "event_id": event_id,
                        "started_at": _timestamp(when),
                        "completed_at": _timestamp(when + timedelta(milliseconds=duration)),
                        "organization_id": org,
                        "user_id": user,
                        "module_name": module,
                        "version": version,
                        "language": language,
                        "duration_ms": duration,
                        "success": success,
                        "error_message": None if success else "compiler exited with status 1",
                        "error_type": None if success else rng.choice(COMPILE_ERRORS),
                        "cache_hit": cache_hit,
                        "file_count": rng.randint(1, 40),
                        "output_size": rng.randint(5_000, 2_000_000),
                        "compiler_version": "protoc 25.1",
                    }
                )
            else:  # field_usage_events: only the first fields of each message get read
                rows.append(
                    {
                        "event_id": event_id,
                        "used_at": _timestamp(when),
                        "organization_id": org,
                        "module_name": module,
                        "version": version,
                        "message_name": f"Message{rng.choice([0, 0, 0, 1, 1, 2])}",
                        "field_name": f"field_{min(int(rng.expovariate(0.5)), 9)}",
                    }
                )
        return rows

    return make


def _action_rows(catalog: Catalog) -> RowMaker:
    trigger_weights = _zipf_weights(len(catalog.triggers), 0.9)

    def make(rng: random.Random, day: date, count: int, sequence: Iterator[int]) -> list[Row]:
        rows = []
        for trigger in rng.choices(catalog.triggers, weights=trigger_weights, k=count):
            status = rng.choices(["success", "failure", "timeout", "retrying"], [90, 6, 3, 1])[0]
            base = {"webhook": 180, "email": 600, "contract_call": 2500}[trigger["action_type"]]
            rows.append(
                {
                    "event_id": f"act-{next(sequence):011d}",
                    "executed_at": _timestamp(_moment(rng, day)),
                    "trigger_id": trigger["trigger_id"],
                    "organization_id": trigger["organization_id"],
                    "action_type": trigger["action_type"],
                    "status": status,
                    "duration_ms": int(base * rng.lognormvariate(0, 0.6)),
                    "retry_count": 0 if status == "success" else rng.randint(0, 3),
                    "error_message": None if status == "success" else rng.choice(ACTION_ERRORS),
                    "response_data": json.dumps(
                        {"status_code": 200 if status == "success" else 500}
                    ),
                }
            )
        return rows

    return make


def _product_event_rows(catalog: Catalog) -> RowMaker:
    def make(rng: random.Random, day: date, count: int, sequence: Iterator[int]) -> list[Row]:
        rows: list[Row] = []
        while len(rows) < count:
            user = rng.choice(catalog.users) if rng.random() < 0.7 else None
            session = f"ses-{next(sequence):011d}"
            when = _moment(rng, day)
            context = json.dumps(
                {
                    "device": rng.choice(["desktop", "desktop", "mobile", "tablet"]),
                    "browser": rng.choice(["chrome", "firefox", "safari", "edge"]),
                    "os": rng.choice(["macos", "windows", "linux", "ios", "android"]),
                    "country": rng.choice(["US", "DE", "IN", "BR", "GB", "FR", "JP"]),
                }
            )
            internal = rng.random() < 0.03
            for step, keep_going in zip(FUNNEL, FUNNEL_CONTINUE, strict=True):
                if rng.random() > keep_going or len(rows) >= count:
                    break
                when += timedelta(seconds=rng.expovariate(1 / 90))
                properties: dict[str, Any] = {}
                if step == "code_input":
                    properties = {
                        "origin": rng.choice(["paste", "upload", "sample", "github"]),
                        "language": rng.choice(LANGUAGES),
                    }
                elif step == "doc_generation":
                    properties = {
                        "success": rng.random() > 0.1,
                        "doc_type": rng.choice(["readme", "jsdoc", "api", "architecture"]),
                        "duration": int(rng.lognormvariate(10, 0.4)),
                        "llm": {"ttft_ms": int(rng.lognormvariate(6.5, 0.5))},
                    }
                elif step == "doc_export":
                    properties = {"action": rng.choice(["copy", "download"])}
                elif step == "trial":
                    properties = {"action": rng.choice(["started", "started", "converted"])}
                rows.append(
                    {
                        "event_id": f"evt-{next(sequence):011d}",
                        "occurred_at": _timestamp(when),
                        "event_type": "page" if step == "session_start" else "track",
                        "event_name": step,
                        "category": "business" if step in ("signup", "trial") else "workflow",
                        "session_id": session,
                        "user_id": user,
                        "properties": json.dumps(properties),
                        "context": context,
                        "page_url": "/editor" if step != "session_start" else "/",
                        "referrer": None,
                        "is_internal": internal,
                    }
                )
        return rows

    return make


def _metric_rows(rng: random.Random, day: date, count: int, sequence: Iterator[int]) -> list[Row]:
    rows = []
    for name, metric_type, unit, median, spread in rng.choices(METRICS, k=count):
        rows.append(
            {
                "event_id": f"met-{next(sequence):011d}",
                "recorded_at": _timestamp(_moment(rng, day)),
                "name": name,
                "metric_type": metric_type,
                "value": round(median * rng.lognormvariate(0, spread), 3),
                "tags": json.dumps({"model": rng.choice(["sonnet", "haiku"]), "env": "prod"}),
                "unit": unit,
            }
        )
    return rows


def _build_rows(table: str) -> RowMaker:
    profiles = [f"profile-{index:03d}" for index in range(60)]
    profile_weights = _zipf_weights(len(profiles))

    def make(rng: random.Random, day: date, count: int, sequence: Iterator[int]) -> list[Row]:
        rows = []
        for _ in range(count):
            version = rng.choices(FIRMWARE_VERSIONS, [2, 5, 4, 3])[0]
            target = rng.choices(TARGETS, [6, 3, 3, 2, 2])[0]
            profile = rng.choices(profiles, weights=profile_weights)[0]
            packages = rng.randint(0, 3)
            request_hash = hashlib.sha1(
                f"{version}|{target}|{profile}|{packages}".encode()
            ).hexdigest()[:16]
            when = _moment(rng, day)
            client = rng.choices(BUILD_CLIENTS, [5, 3, 3, 1])[0]
            cache_hit = rng.random() < 0.4
            if table == "build_requests":
                rows.append(
                    {
                        "event_id": f"req-{next(sequence):011d}",
                        "requested_at": _timestamp(when),
                        "request_hash": request_hash,
                        "client": client,
                        "version": version,
                        "target": target,
                        "profile": profile,
                        "diff_packages": packages > 0,
                        "package_count": 40 + packages * 7,
                        "has_custom_repos": rng.random() < 0.05,
                        "has_defaults": rng.random() < 0.3,
                        "rootfs_size_mb": rng.choice([104, 256]),
                        "cache_hit": cache_hit,
                    }
                )
                continue
            status = rng.choices(["success", "failure", "timeout", "cancelled"], [85, 11, 2, 2])[0]
            category = rng.choice(list(BUILD_ERRORS)) if status == "failure" else None
            duration = int(90 * rng.lognormvariate(0, 0.5)) if status != "cancelled" else None
            rows.append(
                {
                    "event_id": f"bld-{next(sequence):011d}",
                    "started_at": _timestamp(when),
                    "finished_at": _timestamp(when + timedelta(seconds=duration or 5)),
                    "request_hash": request_hash,
                    "client": client,
                    "duration_seconds": duration,
                    "status": status,
                    "error_category": category,
                    "error_message": BUILD_ERRORS[category] if category else None,
                    "cache_hit": False,
                    "worker_id": f"worker-{rng.randint(1, 8)}",
                }
            )
        return rows

    return make


RowMaker = Callable[[random.Random, date, int, Iterator[int]], list[Row]]


def _counter() -> Iterator[int]:
    number = 0
    while True:
        number += 1
        yield number


ENUM_COLUMNS = ("status", "source", "metric_type", "event_type", "action_type")


def _corrupt(row: Row, time_column: str, kind: int) -> Row | str:
    """One broken row of each class the loader must quarantine, taken in turn."""
    broken = dict(row)
    numbers = [k for k, v in row.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    enums = [k for k in ENUM_COLUMNS if k in row]
    match kind % 7:
        case 1:
            broken[time_column] = "yesterday-ish"  # not a timestamp
        case 2:
            broken[time_column] = "2099-01-01T00:00:00Z"  # absurdly in the future
        case 3:
            broken[time_column] = "1970-01-01T00:00:00Z"  # before the oldest event time
        case 4 if numbers:
            broken[numbers[0]] = "lots"  # not a number
        case 5 if enums:
            broken[enums[0]] = "telepathy"  # not a value of the enum
        case 6:
            return "this line is not a record"  # structurally broken (CSV field count / JSON)
        case _:
            broken["event_id"] = None  # missing required field
    return broken


TIME_COLUMNS = {
    "download_events": "downloaded_at",
    "module_view_events": "viewed_at",
    "compilation_events": "started_at",
    "field_usage_events": "used_at",
    "action_results": "executed_at",
    "analytics_events": "occurred_at",
    "metrics": "recorded_at",
    "build_requests": "requested_at",
    "build_events": "started_at",
}


def _row_makers(catalog: Catalog, spec: GeneratorSpec) -> dict[str, RowMaker]:
    picker = _DayPicker(catalog, spec)
    makers: dict[str, RowMaker] = {
        table: _registry_rows(table, catalog, picker)
        for table in (
            "download_events",
            "module_view_events",
            "compilation_events",
            "field_usage_events",
        )
    }
    makers["action_results"] = _action_rows(catalog)
    makers["analytics_events"] = _product_event_rows(catalog)
    makers["metrics"] = _metric_rows
    makers["build_requests"] = _build_rows("build_requests")
    makers["build_events"] = _build_rows("build_events")
    return makers


def _daily_counts(spec: GeneratorSpec, table: str) -> list[int]:
    """Rows per event day: weekly cycle and mild overall growth, summing to the table's share."""
    days = [spec.first_day + timedelta(days=offset) for offset in range(spec.days)]
    weights = [
        WEEKDAY_FACTOR[day.weekday()] * (1 + spec.volume_growth * i) for i, day in enumerate(days)
    ]
    total = round(spec.events * TABLE_SHARES[table])
    counts = [int(total * weight / sum(weights)) for weight in weights]
    counts[-1] += total - sum(counts)
    return counts


class _FileWriter:
    """Writes one landing file a (table, load day), in CSV or JSON Lines."""

    def __init__(self, folder: Path, file_format: str) -> None:
        self.folder = folder
        self.file_format = file_format

    def write(self, table: str, label: str, rows: list[Row | str], columns: list[str]) -> Path:
        path = self.folder / f"{table}__{label}.{self.file_format}"
        with path.open("w", newline="", encoding="utf-8") as handle:
            if self.file_format == "csv":
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(columns)
                for row in rows:
                    if isinstance(row, str):
                        handle.write(row + "\n")
                    else:
                        writer.writerow([_csv_value(row.get(c)) for c in columns])
            else:
                for row in rows:
                    handle.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
        return path


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write_catalog(writer: _FileWriter, catalog: Catalog) -> list[Path]:
    tables = {
        "modules": catalog.modules,
        "module_versions": catalog.versions,
        "schema_fields": catalog.fields,
        "module_dependencies": catalog.dependencies,
        "triggers": catalog.triggers,
    }
    return [
        writer.write(table, "catalog", list(rows), list(rows[0]))
        for table, rows in tables.items()
        if rows
    ]


def generate(
    spec: GeneratorSpec, folder: Path, tables: tuple[str, ...] | None = None
) -> list[Path]:
    """Writes the sources' files into `folder`; the same spec always writes the same bytes.

    `tables` limits the event tables written (the catalog is always written).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    catalog = build_catalog(spec)
    writer = _FileWriter(folder, spec.file_format)
    written = _write_catalog(writer, catalog)
    for table, make_rows in _row_makers(catalog, spec).items():
        if tables is None or table in tables:
            written += _write_event_table(spec, writer, table, make_rows)
    return written


def _write_event_table(
    spec: GeneratorSpec, writer: _FileWriter, table: str, make_rows: RowMaker
) -> list[Path]:
    """Writes one file per load day; a late or re-sent row lands in a later day's file."""
    rng = random.Random(f"{spec.seed}:{table}")
    sequence = _counter()
    by_load_day: dict[int, list[Row | str]] = defaultdict(list)
    columns: list[str] = []
    broken = 0
    paths = []
    for offset, count in enumerate(_daily_counts(spec, table)):
        day = spec.first_day + timedelta(days=offset)
        for row in make_rows(rng, day, count, sequence):
            columns = columns or list(row)
            roll = rng.random()
            late = roll < spec.late_share
            load_day = min(offset + rng.randint(1, 3), spec.days - 1) if late else offset
            if roll > 1 - spec.invalid_share:
                by_load_day[load_day].append(_corrupt(row, TIME_COLUMNS[table], broken))
                broken += 1
                continue
            by_load_day[load_day].append(row)
            if rng.random() < spec.duplicate_share:  # a client retry re-sends the event
                by_load_day[min(load_day + rng.randint(0, 1), spec.days - 1)].append(row)
        # Rows only ever move to later days, so today's file is complete now.
        paths.append(writer.write(table, day.isoformat(), by_load_day.pop(offset, []), columns))
    return paths
