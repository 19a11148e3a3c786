"""The schema registry (seed 000): downloads of compiled code, module page views,
compilations and schema field reads, plus the catalog of modules, versions, fields and
dependencies (raw tables: ingest/migrations/0002_registry.sql).

Sample data: Zipf popularity of modules; over the last TREND_DAYS some modules grow and some
decline, so trending has signal; failures and cache hits; only the first fields of a message
get read, so health finds unused fields.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ingest.generator import (
    GeneratorSpec,
    Population,
    Row,
    RowMaker,
    Sample,
    SampleTable,
    ip_address,
    moment,
    timestamp,
    zipf_weights,
)

TABLES = (
    "download_events",
    "module_view_events",
    "compilation_events",
    "field_usage_events",
    "modules",
    "module_versions",
    "schema_fields",
    "module_dependencies",
)
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
BASE_COMPILE_MS = {
    "go": 800,
    "python": 500,
    "typescript": 1200,
    "java": 2500,
    "rust": 4000,
    "cpp": 3500,
    "csharp": 2000,
}


@dataclass
class Catalog:
    modules: list[Row] = field(default_factory=list)
    versions: list[Row] = field(default_factory=list)
    fields: list[Row] = field(default_factory=list)
    dependencies: list[Row] = field(default_factory=list)
    growth: dict[str, float] = field(default_factory=dict)
    module_language: dict[str, str] = field(default_factory=dict)
    latest_version: dict[str, str] = field(default_factory=dict)


def sample(spec: GeneratorSpec, population: Population) -> Sample:
    catalog = _catalog(spec, population)
    picker = _DayPicker(catalog, spec)
    return Sample(
        catalog={
            "modules": catalog.modules,
            "module_versions": catalog.versions,
            "schema_fields": catalog.fields,
            "module_dependencies": catalog.dependencies,
        },
        event_tables=[
            SampleTable(
                "download_events", "downloaded_at", 0.20, _downloads(catalog, picker, population)
            ),
            SampleTable(
                "module_view_events",
                "viewed_at",
                0.15,
                _views(catalog, picker, population),
                enum_column="source",
            ),
            SampleTable(
                "compilation_events",
                "started_at",
                0.08,
                _compilations(catalog, picker, population),
            ),
            SampleTable(
                "field_usage_events", "used_at", 0.03, _field_reads(catalog, picker, population)
            ),
        ],
    )


def _catalog(spec: GeneratorSpec, population: Population) -> Catalog:
    rng = random.Random(f"{spec.seed}:registry-catalog")
    catalog = Catalog()
    start = datetime.combine(spec.first_day, datetime.min.time(), UTC)
    organizations = population.organizations
    for index in range(population.scale):
        name = f"{rng.choice(['acme', 'core', 'pay', 'geo', 'iam', 'ml'])}.svc{index:04d}"
        created = start - timedelta(days=rng.randint(30, 400))
        # Most modules are steady; some grow fast, some decline (signal for trending).
        roll = rng.random()
        catalog.growth[name] = 0.06 if roll < 0.08 else -0.04 if roll < 0.16 else 0.0
        catalog.module_language[name] = rng.choices(LANGUAGES, weights=[6, 5, 4, 3, 2, 1, 1])[0]
        catalog.modules.append(
            {
                "module_name": name,
                "organization_id": organizations[index % len(organizations)],
                "created_at": timestamp(created),
                "description": f"Schemas of service {index}",
            }
        )
        _add_versions(rng, catalog, population, name, created, start + timedelta(days=spec.days))
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
    return catalog


def _add_versions(
    rng: random.Random,
    catalog: Catalog,
    population: Population,
    module: str,
    created: datetime,
    until: datetime,
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
                "created_at": timestamp(created + span * number + timedelta(hours=rng.random())),
                "created_by": rng.choice(population.users),
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
        self.base = zipf_weights(len(self.names))
        self.growth = [catalog.growth[name] for name in self.names]
        self.trend_start = spec.trend_start

    def cumulative(self, day: date) -> list[float]:
        age = max(0, (day - self.trend_start).days)
        total, cumulative = 0.0, []
        for weight, growth in zip(self.base, self.growth, strict=True):
            total += weight * math.exp(growth * age)
            cumulative.append(total)
        return cumulative

    def modules(self, rng: random.Random, day: date, count: int) -> list[str]:
        return rng.choices(self.names, cum_weights=self.cumulative(day), k=count)


def _visitor(rng: random.Random, population: Population) -> tuple[str | None, str | None]:
    """A user (and their organization) for a request; one in ten is anonymous."""
    user = rng.choice(population.users) if rng.random() < 0.9 else None
    return user, population.user_org[user] if user else None


def _downloads(catalog: Catalog, picker: _DayPicker, population: Population) -> RowMaker:
    def make(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
        rows = []
        for module in picker.modules(rng, day, count):
            user, org = _visitor(rng, population)
            when = moment(rng, day)
            language = catalog.module_language[module]
            success = rng.random() > 0.02
            rows.append(
                {
                    "event_id": f"dow-{next(sequence):011d}",
                    "downloaded_at": timestamp(when),
                    "user_id": user,
                    "organization_id": org,
                    "module_name": module,
                    "version": catalog.latest_version[module],
                    "language": rng.choice([language, language, rng.choice(LANGUAGES)]),
                    "file_size": rng.randint(1_000, 900_000),
                    "duration_ms": rng.randint(5, 900),
                    "success": success,
                    "error_message": None if success else "storage timeout",
                    "ip_address": ip_address(rng),
                    "user_agent": rng.choice(USER_AGENTS),
                    "client_sdk": rng.choice(["cli", "go-sdk", "python-sdk", "web"]),
                    "client_version": rng.choice(["1.4.2", "1.5.0", "0.9.1"]),
                    "cache_hit": rng.random() < 0.7,
                }
            )
        return rows

    return make


def _views(catalog: Catalog, picker: _DayPicker, population: Population) -> RowMaker:
    def make(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
        rows = []
        for module in picker.modules(rng, day, count):
            user, org = _visitor(rng, population)
            rows.append(
                {
                    "event_id": f"mod-{next(sequence):011d}",
                    "viewed_at": timestamp(moment(rng, day)),
                    "user_id": user,
                    "organization_id": org,
                    "module_name": module,
                    "version": catalog.latest_version[module],
                    "source": rng.choices(["web", "api", "cli"], [6, 3, 1])[0],
                    "page_type": rng.choices(["list", "detail", "search"], [2, 5, 2])[0],
                    "referrer": rng.choice([None, "https://search.example.com", "internal"]),
                    "ip_address": ip_address(rng),
                    "user_agent": rng.choice(USER_AGENTS),
                }
            )
        return rows

    return make


def _compilations(catalog: Catalog, picker: _DayPicker, population: Population) -> RowMaker:
    def make(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
        rows = []
        for module in picker.modules(rng, day, count):
            user, org = _visitor(rng, population)
            when = moment(rng, day)
            language = catalog.module_language[module]
            cache_hit = rng.random() < 0.45
            duration = int(
                BASE_COMPILE_MS[language] * (0.1 if cache_hit else 1) * rng.lognormvariate(0, 0.5)
            )
            success = rng.random() > (0.03 if cache_hit else 0.08)
            rows.append(
                {
                    "event_id": f"com-{next(sequence):011d}",
                    "started_at": timestamp(when),
                    "completed_at": timestamp(when + timedelta(milliseconds=duration)),
                    "organization_id": org,
                    "user_id": user,
                    "module_name": module,
                    "version": catalog.latest_version[module],
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
        return rows

    return make


def _field_reads(catalog: Catalog, picker: _DayPicker, population: Population) -> RowMaker:
    """Only the first fields of each message get read: the rest show up as unused."""

    def make(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
        rows = []
        for module in picker.modules(rng, day, count):
            _, org = _visitor(rng, population)
            rows.append(
                {
                    "event_id": f"fie-{next(sequence):011d}",
                    "used_at": timestamp(moment(rng, day)),
                    "organization_id": org,
                    "module_name": module,
                    "version": catalog.latest_version[module],
                    "message_name": f"Message{rng.choice([0, 0, 0, 1, 1, 2])}",
                    "field_name": f"field_{min(int(rng.expovariate(0.5)), 9)}",
                }
            )
        return rows

    return make
