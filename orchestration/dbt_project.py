"""The dbt project as Dagster sees it; its manifest is prepared when definitions load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from ingest.warehouse import Warehouse
from orchestration.settings import DBT_PROJECT_DIR


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def _manifest_is_current(manifest: Path, database: str) -> bool:
    """Newer than every project file, and parsed for this database (relation names carry it)."""
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    sources = (
        p for p in DBT_PROJECT_DIR.rglob("*")
        if p.suffix in {".sql", ".yml"} and not {"target", "logs"} & set(p.parts)
    )  # fmt: skip
    if any(p.stat().st_mtime > built for p in sources):
        return False
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return all(node.get("database") == database for node in nodes if node.get("database"))


def prepare_manifest(project: DbtProject, warehouse: Warehouse) -> Path:
    """Parses the project when its manifest is missing, stale, or made for another database.

    Runs when the code location loads (not at import), so `make ui` needs no manual
    `dbt parse`, and an edited model is picked up on reload.
    """
    manifest = project.manifest_path
    if _manifest_is_current(manifest, warehouse.dbname):
        return manifest
    subprocess.run(
        [dbt_executable(), "parse", "--quiet",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        check=True,
        env={**os.environ, **warehouse.libpq_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )  # fmt: skip
    return manifest


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
