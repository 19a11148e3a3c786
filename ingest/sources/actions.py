"""The trigger/action result logger (seed 001): triggers and the result of every action they
fire (raw tables: ingest/migrations/0003_actions.sql).

Sample data: a Zipf-popular catalog of triggers per organization, mostly successful actions
with failures, timeouts and retries, durations by action type. What the seed's analytics
distinguish is in it on purpose: idle triggers (a tenth of the catalog never fires, some
triggers stop firing a week before the end), triggers that fail or retry far more than the
rest (trigger health), slow calls past the 1,000 ms SLA, and personal data where a real
logger has it (a recipient's e-mail address in the error message and the response data of a
rejected e-mail), which staging reduces.
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
    "gas estimation failed",
    "rate limited",
]
# The one error that names a person: the recipient the e-mail provider rejected.
RECIPIENT_ERROR = "invalid recipient {recipient}"
BASE_DURATION_MS = {"webhook": 180, "email": 600, "contract_call": 2500}
STATUSES = ["success", "failure", "timeout", "retrying"]
# Triggers by rank: every 10th never fires (idle), every 7th stops a week before the end,
# every 13th is unhealthy (fails and retries far more than the rest).
NEVER_FIRES, STOPS_EARLY, UNHEALTHY = 10, 7, 13
STOP_DAYS_BEFORE_END = 8


def sample(spec: GeneratorSpec, population: Population) -> Sample:
    triggers = _triggers(spec, population)
    return Sample(
        catalog={"triggers": triggers},
        event_tables=[
            SampleTable(
                "action_results",
                "executed_at",
                0.12,
                _results(triggers, spec.last_day),
                enum_column="status",
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


def _firing_weights(triggers: list[Row]) -> list[float]:
    """Zipf popularity, with every NEVER_FIRES-th trigger (never the most popular) at zero."""
    weights = zipf_weights(len(triggers), 0.9)
    return [0.0 if rank % NEVER_FIRES == 9 else w for rank, w in enumerate(weights)]


def _results(triggers: list[Row], last_day: date) -> RowMaker:
    weights = _firing_weights(triggers)
    stop_day = last_day - timedelta(days=STOP_DAYS_BEFORE_END)
    early = [rank % STOPS_EARLY == 5 for rank in range(len(triggers))]
    late_weights = [0.0 if stops else w for w, stops in zip(weights, early, strict=True)]
    unhealthy = {t["trigger_id"] for rank, t in enumerate(triggers) if rank % UNHEALTHY == 4}

    def make(rng: random.Random, day: date, count: int, sequence: Any) -> list[Row]:
        chosen = rng.choices(triggers, weights=late_weights if day > stop_day else weights, k=count)
        return [_result(rng, day, trigger, next(sequence), trigger["trigger_id"] in unhealthy)
                for trigger in chosen]  # fmt: skip

    return make


def _result(rng: random.Random, day: date, trigger: Row, number: int, unhealthy: bool) -> Row:
    status = rng.choices(STATUSES, [55, 25, 10, 10] if unhealthy else [90, 6, 3, 1])[0]
    action_type = trigger["action_type"]
    error, response = _outcome(rng, status, action_type, number)
    return {
        "event_id": f"act-{number:011d}",
        "executed_at": timestamp(moment(rng, day)),
        "trigger_id": trigger["trigger_id"],
        "organization_id": trigger["organization_id"],
        "action_type": action_type,
        "status": status,
        "duration_ms": int(BASE_DURATION_MS[action_type] * rng.lognormvariate(0, 0.6)),
        "retry_count": 0 if status == "success" and not unhealthy else rng.randint(0, 3),
        "error_message": error,
        "response_data": json.dumps(response) if response is not None else None,
    }


def _outcome(
    rng: random.Random, status: str, action_type: str, number: int
) -> tuple[str | None, dict[str, Any] | None]:
    """The error message and response data of one result (either may be missing)."""
    if status == "success":
        return None, ({"status_code": 200} if rng.random() > 0.05 else None)
    if action_type == "email" and rng.random() < 0.4:
        recipient = f"user{number % 997}@example.org"
        return (
            RECIPIENT_ERROR.format(recipient=recipient),
            {"status_code": 550, "recipient": recipient},
        )
    error = rng.choice(ACTION_ERRORS) if rng.random() > 0.05 else rng.choice(["", None])
    return error, {"status_code": 500 if status == "failure" else 504}
