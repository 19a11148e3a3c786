"""App event tracking (seeds 002 and 003): track/page/identify events with JSON properties and
context, and counter/gauge/histogram/timer metrics with tags (raw tables:
ingest/migrations/0004_product.sql).

Sample data: sessions that walk CodeScribe's funnel (session_start -> code_input ->
doc_generation -> doc_export -> signup -> trial), a few internal users, LLM timings.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
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
LANGUAGES = ["go", "python", "typescript", "java", "rust", "cpp", "csharp"]
FUNNEL = ["session_start", "code_input", "doc_generation", "doc_export", "signup", "trial"]
FUNNEL_CONTINUE = [1.0, 0.8, 0.75, 0.5, 0.15, 0.4]
METRICS = [  # name, type, unit, median, spread
    ("llm.ttft_ms", "timer", "ms", 700.0, 0.6),
    ("llm.tpot_ms", "timer", "ms", 30.0, 0.4),
    ("llm.generation_ms", "histogram", "ms", 25_000.0, 0.5),
    ("api.requests", "counter", "requests", 40.0, 0.8),
    ("queue.depth", "gauge", "jobs", 5.0, 0.9),
]


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


def _step_properties(rng: random.Random, step: str) -> dict[str, Any]:
    if step == "code_input":
        return {
            "origin": rng.choice(["paste", "upload", "sample", "github"]),
            "language": rng.choice(LANGUAGES),
        }
    if step == "doc_generation":
        return {
            "success": rng.random() > 0.1,
            "doc_type": rng.choice(["readme", "jsdoc", "api", "architecture"]),
            "duration": int(rng.lognormvariate(10, 0.4)),
            "llm": {"ttft_ms": int(rng.lognormvariate(6.5, 0.5))},
        }
    if step == "doc_export":
        return {"action": rng.choice(["copy", "download"])}
    if step == "trial":
        return {"action": rng.choice(["started", "started", "converted"])}
    return {}


def _events(population: Population) -> RowMaker:
    def make(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
        rows: list[Row] = []
        while len(rows) < count:
            user = rng.choice(population.users) if rng.random() < 0.7 else None
            session = f"ses-{next(sequence):011d}"
            when = moment(rng, day)
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
                rows.append(
                    {
                        "event_id": f"evt-{next(sequence):011d}",
                        "occurred_at": timestamp(when),
                        "event_type": "page" if step == "session_start" else "track",
                        "event_name": step,
                        "category": "business" if step in ("signup", "trial") else "workflow",
                        "session_id": session,
                        "user_id": user,
                        "properties": json.dumps(_step_properties(rng, step)),
                        "context": context,
                        "page_url": "/editor" if step != "session_start" else "/",
                        "referrer": None,
                        "is_internal": internal,
                    }
                )
        return rows

    return make


def _metrics(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
    rows = []
    for name, metric_type, unit, median, spread in rng.choices(METRICS, k=count):
        rows.append(
            {
                "event_id": f"met-{next(sequence):011d}",
                "recorded_at": timestamp(moment(rng, day)),
                "name": name,
                "metric_type": metric_type,
                "value": round(median * rng.lognormvariate(0, spread), 3),
                "tags": json.dumps({"model": rng.choice(["sonnet", "haiku"]), "env": "prod"}),
                "unit": unit,
            }
        )
    return rows
