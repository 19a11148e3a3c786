"""What a source system declares to the code location (orchestration/defs/<source>.py).

Declarations are plain data: no Dagster objects, nothing that runs. The machinery in this
package turns them into assets, checks, jobs, schedules and sensors, the same way for every
source, so adding a source never touches generic code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta

from ingest.sources import REGISTERED
from orchestration.lib.alerts import Threshold
from orchestration.lib.expectations import Suite
from orchestration.lib.retention import Retention

DECLARATIONS_PACKAGE = "orchestration.defs"


@dataclass(frozen=True)
class SourceDeclaration:
    """A source system as the code location sees it.

    name: the source (its raw tables come from ingest.sources, its models from the dbt
        folders models/<layer>/<name>/; its owner and freshness limits from its dbt group
        and sources YAML).
    expectation_suites / alert_thresholds: checks on its marts, by model name.
    retention: raw tables whose month partitions past a limit are dropped (lib/retention.py).
    refresh_every: an intraday refresh (lib/schedules.build_refresh_schedule): today's
        partition exists, a schedule builds it this often, and the models fail their
        freshness policy when twice as old (None: nightly runs only).
    """

    name: str
    description: str
    expectation_suites: tuple[Suite, ...] = ()
    alert_thresholds: tuple[Threshold, ...] = ()
    retention: tuple[Retention, ...] = ()
    refresh_every: timedelta | None = None


def declared_sources() -> list[SourceDeclaration]:
    """The declaration of every registered source system, in registration order."""
    declarations = []
    for name in REGISTERED:
        module = importlib.import_module(f"{DECLARATIONS_PACKAGE}.{name}")
        declaration: SourceDeclaration = module.SOURCE
        if declaration.name != name:
            raise ValueError(f"{module.__name__} declares source {declaration.name!r}")
        declarations.append(declaration)
    return declarations
