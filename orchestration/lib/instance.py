"""The Dagster home the UI and the demo share: created with the warehouse's dagster.yaml."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ingest.warehouse import PROJECT_ROOT

INSTANCE_CONFIG = Path(__file__).resolve().parents[1] / "dagster.yaml"
DEFAULT_HOME = PROJECT_ROOT / ".warehouse" / "dagster"


# Dagster hands a backfill's per-day materializations of an asset to the event log storage as
# one batch only when this is above 0 (orchestration/lib/event_log.py writes a batch at once).
EVENT_BATCH_SIZE = {"DAGSTER_EVENT_BATCH_SIZE": "1000"}


def dagster_home() -> Path:
    """DAGSTER_HOME (set to .warehouse/dagster when unset), with a dagster.yaml in it; event
    batches on (EVENT_BATCH_SIZE) unless the environment says otherwise."""
    for name, value in EVENT_BATCH_SIZE.items():
        os.environ.setdefault(name, value)
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_HOME)))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(INSTANCE_CONFIG, home / "dagster.yaml")
    return home
