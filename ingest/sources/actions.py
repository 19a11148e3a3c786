"""The trigger/action result logger (seed 001): triggers and the result of every action they
fire (raw tables: ingest/migrations/0003_actions.sql).

Sample data: a Zipf-popular catalog of triggers per organization, mostly successful actions
with failures, timeouts and retries, durations by action type.
"""

from __future__ import annotations

import json
import random
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
    zipf_weights,
)

TABLES = ("triggers", "action_results")
ACTION_ERRORS = [
    "connection refused",
    "HTTP 500 from endpoint",
    "invalid recipient",
    "gas estimation failed",
    "rate limited",
]
BASE_DURATION_MS = {"webhook": 180, "email": 600, "contract_call": 2500}


def sample(spec: GeneratorSpec, population: Population) -> Sample:
    triggers = _triggers(spec, population)
    return Sample(
        catalog={"triggers": triggers},
        event_tables=[
            SampleTable(
                "action_results", "executed_at", 0.12, _results(triggers), enum_column="status"
            )
        ],
    )


def _triggers(spec: GeneratorSpec, population: Population) -> list[Row]:
    rng = random.Random(f"{spec.seed}:triggers")
    start = datetime.combine(spec.first_day, datetime.min.time(), UTC)
    events = ["agent.registered", "feedback.submitted", "validation.completed"]
    return [
        {
            "trigger_id": f"trg-{index:04d}",
            "organization_id": rng.choice(population.organizations),
            "name": f"notify on {event}",
            "event_type": event,
            "action_type": rng.choices(["webhook", "email", "contract_call"], [6, 3, 1])[0],
            "is_active": rng.random() > 0.1,
            "created_at": timestamp(start - timedelta(days=rng.randint(1, 200))),
        }
        for index, event in enumerate(
            rng.choice(events) for _ in range(max(20, population.scale // 2))
        )
    ]


def _results(triggers: list[Row]) -> RowMaker:
    weights = zipf_weights(len(triggers), 0.9)

    def make(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
        rows = []
        for trigger in rng.choices(triggers, weights=weights, k=count):
            status = rng.choices(["success", "failure", "timeout", "retrying"], [90, 6, 3, 1])[0]
            rows.append(
                {
                    "event_id": f"act-{next(sequence):011d}",
                    "executed_at": timestamp(moment(rng, day)),
                    "trigger_id": trigger["trigger_id"],
                    "organization_id": trigger["organization_id"],
                    "action_type": trigger["action_type"],
                    "status": status,
                    "duration_ms": int(
                        BASE_DURATION_MS[trigger["action_type"]] * rng.lognormvariate(0, 0.6)
                    ),
                    "retry_count": 0 if status == "success" else rng.randint(0, 3),
                    "error_message": None if status == "success" else rng.choice(ACTION_ERRORS),
                    "response_data": json.dumps(
                        {"status_code": 200 if status == "success" else 500}
                    ),
                }
            )
        return rows

    return make
