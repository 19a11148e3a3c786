"""The Dagster home the UI and the demo share: created with the warehouse's dagster.yaml."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ingest.warehouse import PROJECT_ROOT

INSTANCE_CONFIG = Path(__file__).resolve().parents[1] / "dagster.yaml"
DEFAULT_HOME = PROJECT_ROOT / ".warehouse" / "dagster"


def dagster_home() -> Path:
    """DAGSTER_HOME (set to .warehouse/dagster when unset), with a dagster.yaml in it."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_HOME)))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(INSTANCE_CONFIG, home / "dagster.yaml")
    return home
