"""App event tracking (seeds 002 and 003): track/page/identify events with JSON properties and
context, and counter/gauge/histogram/timer metrics with tags (raw tables:
ingest/migrations/0004_product.sql; categories checked by 0014).

Sample events: every event kind the seeds name, with the properties they describe.
CodeScribe sessions (seed 003) start with session_start, load code (paste/upload/sample/
github), generate documentation (doc_generation, retried after a failure), score and export
it; some sign up or log in (then identify themselves: the events before are anonymous), view
pricing, check out, change tier, see usage alerts. Sessions of seed 002's app create missions,
specs and forge items and search. Server-side events carry no session: trials that expire or
convert, checkouts, LLM performance, errors. A few users are internal. Sessions near midnight
run on into the next day, and a client sometimes re-sends an event with another time (same
event id: the loader keeps the first copy).
Metric points: seed 002's predefined metrics (api.request.duration with endpoint and status
tags, database.query.duration with query_type, users.active, missions.created) and seed 003's
LLM performance (time to first token, time per output token, throughput, total generation
time by doc type, prompt-cache hits), late or re-sent like the events.
"""

from __future__ import annotations

import json
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
    moment,
    timestamp,
)

TABLES = ("analytics_events", "metrics")
CATEGORIES = ("workflow", "business", "usage", "system")
LANGUAGES = ["go", "python", "typescript", "java", "rust", "cpp", "csharp"]
DOC_TYPES = ["readme", "jsdoc", "api", "architecture"]
ORIGINS = ["paste", "upload", "sample", "github"]
TIERS = ["free", "starter", "pro", "team"]
TIER_PRICES = {"starter": 9.0, "pro": 29.0, "team": 99.0}
LOGIN_METHODS = ["email", "github", "google"]
INTERACTIONS = [
    "view_quality_breakdown", "pricing_page_viewed", "upgrade_cta_clicked",
    "regeneration_complete", "batch_generation_complete",
]  # fmt: skip
PAGES = ["/", "/editor", "/pricing", "/docs", "/gallery", "/account"]
REFERRERS = [
    None,
    "https://www.google.com/",
    "https://github.com/",
    "https://news.ycombinator.com/",
]
# Every event name and its category (seed 003's four; seed 002's events are usage).
EVENT_CATEGORIES = {
    "session_start": "workflow", "code_input": "workflow", "doc_export": "workflow",
    "login": "business", "signup": "business", "trial": "business", "tier_change": "business",
    "checkout_completed": "business", "usage_alert": "business",
    "doc_generation": "usage", "batch_generation": "usage", "quality_score": "usage",
    "oauth_flow": "usage", "user_interaction": "usage", "page_view": "usage",
    "mission_created": "usage", "mission_completed": "usage", "spec_created": "usage",
    "forge_item_created": "usage", "search_performed": "usage",
    "user_identified": "system", "error": "system", "performance": "system",
}  # fmt: skip
# Metrics (seed 002's predefined metrics, seed 003's LLM performance benchmarks): name, type,
# unit, median, log-normal spread, weight among the points, and the tags each point carries
# (tag name -> choices; "doc_type" also sets the median: seed 003's typical times).
METRICS = [
    ("api.request.duration", "timer", "ms", 120.0, 0.7, 4, ("endpoint", "status")),
    ("database.query.duration", "timer", "ms", 15.0, 0.9, 3, ("query_type",)),
    ("users.active", "gauge", None, 150.0, 0.3, 1, ()),
    ("missions.created", "counter", None, 1.0, 0.0, 1, ()),
    ("llm.ttft_ms", "timer", "ms", 650.0, 0.35, 2, ("model",)),
    ("llm.tpot_ms", "timer", "ms", 28.0, 0.25, 2, ("model",)),
    ("llm.throughput_tps", "gauge", "tokens/s", 34.0, 0.35, 2, ("model",)),
    ("llm.generation_ms", "histogram", "ms", 0.0, 0.2, 2, ("doc_type", "model")),
    ("llm.cache.hit", "histogram", None, 1.0, 0.0, 6, ("model",)),
]
TAG_CHOICES: dict[str, list[str]] = {
    "endpoint": ["/api/missions", "/api/specs", "/api/forge", "/api/search", "/api/analytics"],
    "status": ["200"] * 18 + ["201", "400", "404", "500"],
    "query_type": ["select", "select", "select", "insert", "update", "delete"],
    "model": ["sonnet", "sonnet", "haiku"],
    "doc_type": DOC_TYPES,
}
# Seed 003's typical total generation time per doc type (the middle of its range), in ms.
GENERATION_MS = {"readme": 17_500.0, "jsdoc": 30_000.0, "api": 42_500.0, "architecture": 75_000.0}
CACHE_HIT_SHARE = 0.9  # prompt-cache hits among lookups (seed 003's target: over 70%)
# Shares of sessions: anonymous visitors, a known user's, seed 002's app.
ANONYMOUS_SESSIONS = 0.3
MISSION_SESSIONS = 0.15
MIDNIGHT_SESSIONS = 0.03  # start in the last minutes of the day
RESENT_SHARE = 0.003  # a client re-sends an event with another time


def sample(spec: GeneratorSpec, population: Population) -> Sample:
    return Sample(
        event_tables=[
            SampleTable(
                "analytics_events",
                "occurred_at",
                0.20,
                _events(population),
                enum_column="event_type",
            ),
            SampleTable("metrics", "recorded_at", 0.07, _metrics, enum_column="metric_type"),
        ]
    )


def internal_users(population: Population) -> set[str]:
    """The company's own people: their events are flagged is_internal."""
    return set(population.users[::29])


@dataclass
class _Session:
    """One visit being written: its clock, who is known so far, its device."""

    rng: random.Random
    sequence: Any
    session_id: str | None
    user: str | None
    when: datetime
    context: str
    internal: bool
    page: str = "/"
    rows: list[Row] = field(default_factory=list)

    def emit(
        self,
        name: str,
        properties: dict[str, Any] | None = None,
        *,
        event_type: str = "track",
        page: str | None = None,
        referrer: str | None = None,
        gap: float = 60.0,
    ) -> None:
        self.when += timedelta(seconds=self.rng.expovariate(1 / gap))
        self.page = page or self.page
        self.rows.append(
            {
                "event_id": f"evt-{next(self.sequence):011d}",
                "occurred_at": timestamp(self.when),
                "event_type": event_type,
                "event_name": name,
                "category": EVENT_CATEGORIES[name],
                "session_id": self.session_id,
                "user_id": self.user,
                "properties": json.dumps(properties or {}),
                "context": self.context,
                "page_url": self.page if self.session_id else None,
                "referrer": referrer,
                "is_internal": self.internal,
            }
        )


def _context(rng: random.Random) -> str:
    return json.dumps(
        {
            "device": rng.choice(["desktop", "desktop", "mobile", "tablet"]),
            "browser": rng.choice(["chrome", "firefox", "safari", "edge"]),
            "os": rng.choice(["macos", "windows", "linux", "ios", "android"]),
            "country": rng.choice(["US", "DE", "IN", "BR", "GB", "FR", "JP"]),
            "city": rng.choice(["Berlin", "Austin", "Pune", "Lyon", "Osaka"]),
        }
    )


def _llm(rng: random.Random) -> dict[str, Any]:
    return {
        "model": rng.choice(["sonnet", "haiku"]),
        "ttft_ms": int(rng.lognormvariate(6.5, 0.5)),
        "tpot_ms": round(rng.lognormvariate(3.4, 0.3), 2),
        "output_tokens": rng.randint(300, 2200),
        "cache_hit": rng.random() < 0.7,
    }


def _generate_docs(s: _Session, language: str) -> str:
    """doc_generation attempts until one succeeds (or the user gives up); quality and regen."""
    doc_type = s.rng.choice(DOC_TYPES)
    for _attempt in range(s.rng.choice([1, 1, 1, 2, 3])):
        success = s.rng.random() > 0.12
        s.emit(
            "doc_generation",
            {
                "success": success,
                "doc_type": doc_type,
                "language": language,
                "duration": int(s.rng.lognormvariate(10, 0.4)),
                "llm": _llm(s.rng),
            },
            gap=40,
        )
        if success:
            break
        if s.rng.random() < 0.5:
            s.emit(
                "error",
                {
                    "error_type": "generation_failed",
                    "error_message": "LLM timeout",
                    "context": "doc_generation",
                },
            )
    else:
        return ""
    s.emit(
        "quality_score",
        {"score": s.rng.randint(40, 100), "grade": s.rng.choice("ABCD"), "doc_type": doc_type},
    )
    return doc_type


def _codescribe_session(s: _Session, anonymous: bool, new_user: str | None) -> None:
    """One CodeScribe visit (seed 003): the workflow, then now and then a business event."""
    rng = s.rng
    landing = rng.choice(PAGES[:3])
    referrer = rng.choice(REFERRERS)
    s.emit(
        "session_start",
        {"referrer": referrer, "landing_page": landing},
        page=landing,
        referrer=referrer,
        gap=5,
    )
    if not anonymous and rng.random() < 0.3:  # logs in, then identifies
        user, s.user = s.user, None
        method = rng.choice(LOGIN_METHODS)
        if method != "email":
            s.emit(
                "oauth_flow",
                {
                    "provider": method,
                    "action": "authorize",
                    "success": rng.random() > 0.1,
                    "duration": rng.randint(800, 6000),
                },
            )
        s.user = user
        s.emit("login", {"method": method})
        s.emit("user_identified", event_type="identify", gap=1)
    if rng.random() < 0.3:
        s.emit("page_view", event_type="page", page=rng.choice(PAGES))
    if rng.random() > 0.82:
        return
    origin = rng.choice(ORIGINS)
    language = rng.choice(LANGUAGES)
    code: dict[str, Any] = {"origin": origin, "language": language, "filename": f"main.{language}"}
    if origin == "github":
        code["repo"] = {"owner": "acme", "name": rng.choice(["api", "web", "cli"])}
    s.emit("code_input", code, page="/editor")
    if rng.random() > 0.8:
        return
    if rng.random() < 0.05:
        files = rng.randint(2, 12)
        s.emit(
            "batch_generation",
            {
                "file_count": files,
                "success_count": rng.randint(1, files),
                "duration": rng.randint(20_000, 200_000),
            },
        )
        s.emit("user_interaction", {"action": "batch_generation_complete"}, gap=2)
    doc_type = _generate_docs(s, language)
    if not doc_type:
        return
    if rng.random() < 0.3:
        s.emit("user_interaction", {"action": rng.choice(INTERACTIONS)})
    if rng.random() < 0.6:
        s.emit(
            "doc_export",
            {
                "action": rng.choice(["copy", "download"]),
                "doc_type": doc_type,
                "filename": "README.md",
                "format": "markdown",
            },
        )
    if anonymous and new_user and rng.random() < 0.3:
        s.user = new_user  # signs up, then identifies
        has_trial = rng.random() < 0.6
        s.emit(
            "signup", {"method": rng.choice(LOGIN_METHODS), "tier": "free", "has_trial": has_trial}
        )
        s.emit("user_identified", event_type="identify", gap=1)
        if has_trial:
            s.emit(
                "trial",
                {
                    "action": "started",
                    "source": rng.choice(["signup", "pricing"]),
                    "days_active": 0,
                },
            )
    if s.user and rng.random() < 0.08:
        _upgrade_path(s)
    if s.user and rng.random() < 0.05:
        percent = rng.choice([80, 85, 92, 100])
        s.emit(
            "usage_alert",
            {
                "action": "limit_hit" if percent >= 100 else "warning_shown",
                "tier": rng.choice(TIERS[:3]),
                "percent_used": percent,
            },
        )


def _upgrade_path(s: _Session) -> None:
    """Pricing, checkout, a tier change; some cancel or downgrade instead."""
    rng = s.rng
    s.emit("user_interaction", {"action": "pricing_page_viewed"}, page="/pricing")
    if rng.random() < 0.25:
        action = rng.choice(["downgrade", "cancel"])
        s.emit(
            "tier_change",
            {
                "action": action,
                "previous_tier": "pro",
                "new_tier": "starter" if action == "downgrade" else "free",
                "reason": rng.choice(["price", "not_needed", "other"]),
            },
        )
        return
    s.emit("user_interaction", {"action": "upgrade_cta_clicked"})
    if rng.random() < 0.6:
        tier = rng.choice(list(TIER_PRICES))
        s.emit("user_interaction", {"action": "checkout_started"})
        s.emit("checkout_completed", {"tier": tier, "amount": TIER_PRICES[tier]}, gap=90)
        s.emit(
            "tier_change",
            {"action": "upgrade", "previous_tier": "free", "new_tier": tier, "reason": "checkout"},
            gap=2,
        )


def _mission_session(s: _Session) -> None:
    """A visit to seed 002's app: search, missions, specs, forge items."""
    rng = s.rng
    s.emit("page_view", event_type="page", page="/missions", referrer=rng.choice(REFERRERS), gap=5)
    if rng.random() < 0.6:
        s.emit(
            "search_performed",
            {"query": rng.choice(["auth", "billing", "docs"]), "result_count": rng.randint(0, 40)},
        )
    if rng.random() < 0.5:
        return
    mission = f"mis-{next(s.sequence):09d}"
    s.emit("mission_created", {"mission_id": mission})
    if rng.random() < 0.7:
        s.emit("spec_created", {"spec_id": f"spec-{next(s.sequence):09d}", "mission_id": mission})
        if rng.random() < 0.6:
            s.emit(
                "mission_completed",
                {"mission_id": mission, "duration_ms": rng.randint(60_000, 3_600_000)},
                gap=600,
            )
    if rng.random() < 0.3:
        s.emit(
            "forge_item_created",
            {
                "item_id": f"item-{next(s.sequence):09d}",
                "item_type": rng.choice(["template", "snippet"]),
            },
        )


def _server_events(s: _Session) -> None:
    """Events the server writes, outside any session: trial ends, LLM performance."""
    rng = s.rng
    if s.user and rng.random() < 0.5:
        converted = rng.random() < 0.35
        s.emit(
            "trial",
            {
                "action": "converted" if converted else "expired",
                "source": "trial_end",
                "days_active": rng.randint(1, 14),
            },
        )
    s.emit(
        "performance",
        {
            "latency": {
                "ttft": int(rng.lognormvariate(6.5, 0.5)),
                "tpot": round(rng.lognormvariate(3.4, 0.3), 2),
            },
            "throughput": {"tokens_per_second": round(rng.uniform(12, 60), 1)},
            "cache": {"hit_rate": round(rng.uniform(0.4, 0.95), 3)},
        },
    )


def _start(rng: random.Random, day: date) -> datetime:
    if rng.random() < MIDNIGHT_SESSIONS:
        return datetime(day.year, day.month, day.day, 23, 50, tzinfo=UTC) + timedelta(
            seconds=rng.random() * 540
        )
    return moment(rng, day)


def _events(population: Population) -> RowMaker:
    internal = internal_users(population)

    def make(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
        rows: list[Row] = []
        while len(rows) < count:
            roll = rng.random()
            anonymous = roll < ANONYMOUS_SESSIONS
            user = None if anonymous else rng.choice(population.users)
            s = _Session(
                rng,
                sequence,
                f"ses-{next(sequence):011d}",
                user,
                _start(rng, day),
                _context(rng),
                user in internal or (anonymous and rng.random() < 0.01),
            )
            if roll > 1 - MISSION_SESSIONS:
                _mission_session(s)
            else:
                _codescribe_session(s, anonymous, rng.choice(population.users))
            if rng.random() < 0.1:
                server = _Session(rng, sequence, None, user, s.when, "{}", s.internal)
                _server_events(server)
                s.rows += server.rows
            if s.rows and rng.random() < RESENT_SHARE * len(s.rows):
                resent = dict(rng.choice(s.rows))
                resent["occurred_at"] = timestamp(s.when + timedelta(seconds=rng.randint(5, 300)))
                s.rows.append(resent)
            rows += s.rows
        return rows[:count]

    return make


def _metrics(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
    """Points of seed 002's and seed 003's metrics; a client sometimes re-sends a point with
    another time (same event id: the loader keeps the first copy)."""
    rows = []
    weights = [metric[5] for metric in METRICS]
    for name, metric_type, unit, median, spread, _, tag_names in rng.choices(
        METRICS, weights=weights, k=count
    ):
        tags = {tag: rng.choice(TAG_CHOICES[tag]) for tag in tag_names}
        rows.append(
            {
                "event_id": f"met-{next(sequence):011d}",
                "recorded_at": timestamp(moment(rng, day)),
                "name": name,
                "metric_type": metric_type,
                "value": _metric_value(rng, name, median, spread, tags),
                "tags": json.dumps(tags) if tags else None,
                "unit": unit,
            }
        )
        if rng.random() < RESENT_SHARE:
            resent = dict(rows[-1])
            moved = datetime.fromisoformat(resent["recorded_at"]) + timedelta(
                seconds=rng.randint(5, 300)
            )
            resent["recorded_at"] = timestamp(moved)
            rows.append(resent)
    return rows


def _metric_value(
    rng: random.Random, name: str, median: float, spread: float, tags: dict[str, str]
) -> float:
    if name == "llm.cache.hit":  # 1 when the prompt cache served the request, else 0
        return 1.0 if rng.random() < CACHE_HIT_SHARE else 0.0
    if name == "llm.generation_ms":
        median = GENERATION_MS[tags["doc_type"]]
    return round(median * rng.lognormvariate(0, spread), 3)
