"""The import bundle Superset gets: bi/assets/ (datasets, charts, dashboards, as exported by
Superset) completed at provisioning time with what must not or need not be in the repository.

- The database: the reader role's DSN of the configured warehouse, read when provisioning
  (the password never enters the repository; it lives only in Superset's metadata database).
- Each dataset's columns: its mart's dbt contract (name, type, description), so the column
  browser shows the same descriptions as `\\d+` and a contract change needs no second edit.
  A `<mart>_latest` view has its mart's columns.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ingest.warehouse import PROJECT_ROOT, Warehouse

ASSETS = PROJECT_ROOT / "bi" / "assets"
MARTS_DIR = PROJECT_ROOT / "dbt_project" / "models" / "marts"
DATABASE_UUID = "6f1e7c1a-3b8e-4c57-9a52-2b1d2f0c0a01"
DATABASE_NAME = "warehouse"
TEMPORAL_TYPES = ("date", "timestamp")


def database_config(reader: Warehouse) -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": reader.sqlalchemy_url,  # psycopg2: the driver Superset's virtualenv has
        "uuid": DATABASE_UUID,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True, "schemas_allowed_for_file_upload": []},
        "version": "1.0.0",
    }


@functools.cache
def mart_contracts() -> dict[str, list[dict[str, Any]]]:
    """Every mart's columns as its dbt YAML documents them, by mart name (read once a
    process: the files do not change under a running provisioning or test)."""
    contracts: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(MARTS_DIR.glob("*/_*__models.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            contracts[model["name"]] = model.get("columns", [])
    return contracts


def dataset_columns(table: str, contracts: dict[str, list[dict[str, Any]]]) -> list[dict]:
    """Superset's column entries of a mart or of its `_latest` view."""
    mart = table.removesuffix("_latest")
    if mart not in contracts:
        raise KeyError(f"dataset {table}: no mart {mart} in {MARTS_DIR}")
    return [
        {
            "column_name": column["name"],
            "type": column["data_type"].upper(),
            "description": " ".join(str(column.get("description", "")).split()) or None,
            "is_dttm": column["data_type"].startswith(TEMPORAL_TYPES),
            "groupby": True,
            "filterable": True,
            "is_active": True,
        }
        for column in contracts[mart]
    ]


def _asset_files() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(ASSETS.rglob("*.yaml")):
        yield path.relative_to(ASSETS).as_posix(), yaml.safe_load(path.read_text())


def bundle_files(reader: Warehouse) -> dict[str, str]:
    """The bundle's files (path inside the bundle -> YAML text)."""
    contracts = mart_contracts()
    files = {"databases/warehouse.yaml": yaml.safe_dump(database_config(reader))}
    for name, content in _asset_files():
        if name.startswith("datasets/"):
            content = {
                **content,
                "database_uuid": DATABASE_UUID,
                "schema": "marts",
                "columns": dataset_columns(content["table_name"], contracts),
            }
        files[name] = yaml.safe_dump(content, sort_keys=True)
    return files


def write_zip(files: dict[str, str], path: Path) -> str:
    """The bundle as the ZIP Superset's assets import takes; returns its content hash
    (the same files give the same hash, whatever the ZIP's timestamps)."""
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            archive.writestr(f"bundle/{name}", files[name])
            digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    path.chmod(0o600)  # it holds the reader's password until Superset has it
    return digest.hexdigest()


def chart_uuids(dashboard: dict[str, Any]) -> list[str]:
    """The charts a dashboard's layout places, by UUID."""
    return [
        node["meta"]["uuid"]
        for node in dashboard["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    ]
