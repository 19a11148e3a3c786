"""The dbt project as Dagster sees it; its manifest is prepared when definitions load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def prepare_manifest(project: DbtProject) -> Path:
    """Parses the project when the manifest is missing or older than any project file.

    Runs when the code location loads (not at import), so `make ui` needs no manual
    `dbt parse`, and an edited model is picked up on reload.
    """
    manifest = project.manifest_path
    sources = [
        p for p in DBT_PROJECT_DIR.rglob("*")
        if p.suffix in {".sql", ".yml"} and "target" not in p.parts and "logs" not in p.parts
    ]  # fmt: skip
    if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in sources):
        return manifest
    subprocess.run(
        [dbt_executable(), "parse", "--quiet",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        check=True,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )  # fmt: skip
    return manifest


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
