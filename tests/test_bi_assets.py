"""The Superset assets as code (bi/assets/) against the dbt project, without a server: every
chart reads a mart or a `_latest` view by columns its contract has, and every dashboard is a
dbt exposure on exactly the marts its charts read. A renamed column or mart fails here first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bi.bundle import ASSETS, MARTS_DIR, chart_uuids, dataset_columns, mart_contracts
from ingest.warehouse import PROJECT_ROOT

MODELS = PROJECT_ROOT / "dbt_project" / "models"


def _load(folder: str) -> dict[str, dict[str, Any]]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted((ASSETS / folder).glob("*.yaml"))}


DATASETS = {d["uuid"]: d for d in _load("datasets").values()}
CHARTS = {c["uuid"]: c for c in _load("charts").values()}
DASHBOARDS = _load("dashboards")


def _columns_used(params: dict[str, Any]) -> set[str]:
    """The dataset columns a chart names (not those inside SQL expressions)."""
    used = {params[key] for key in ("x_axis",) if isinstance(params.get(key), str)}
    used |= set(params.get("groupby", [])) | set(params.get("all_columns", []))
    used |= {json.loads(order)[0] for order in params.get("order_by_cols", [])}
    return used


def _snapshot_marts() -> set[str]:
    return {
        path.stem
        for path in MARTS_DIR.rglob("*.sql")
        if "unique_key='as_of_date'" in path.read_text().replace('"', "'")
    }


@pytest.mark.parametrize("table", sorted(d["table_name"] for d in DATASETS.values()))
def test_each_dataset_is_a_mart_or_the_latest_view_of_a_snapshot_mart(table: str) -> None:
    contracts = mart_contracts()
    if table.endswith("_latest"):
        assert table.removesuffix("_latest") in _snapshot_marts(), table
    assert dataset_columns(table, contracts), table
    assert all(c["description"] for c in dataset_columns(table, contracts)), "documented"


@pytest.mark.parametrize("chart", sorted(CHARTS), ids=lambda u: CHARTS[u]["slice_name"])
def test_each_chart_names_only_columns_of_its_marts_contract(chart: str) -> None:
    spec = CHARTS[chart]
    table = DATASETS[spec["dataset_uuid"]]["table_name"]
    columns = {c["column_name"] for c in dataset_columns(table, mart_contracts())}
    assert _columns_used(spec["params"]) <= columns, (spec["slice_name"], table)
    assert spec["params"]["viz_type"] == spec["viz_type"]


def test_each_dashboard_is_an_exposure_on_the_marts_it_reads() -> None:
    exposures = {
        e["name"]: e for e in yaml.safe_load((MODELS / "_exposures.yml").read_text())["exposures"]
    }
    groups = yaml.safe_load((MODELS / "_groups.yml").read_text())["groups"]
    owners = {group["owner"]["name"] for group in groups}
    assert set(exposures) == {f"{slug}_dashboard" for slug in DASHBOARDS}
    for slug, dashboard in DASHBOARDS.items():
        exposure = exposures[f"{slug}_dashboard"]
        assert dashboard["slug"] == slug
        assert exposure["type"] == "dashboard"
        assert exposure["url"].endswith(f"/superset/dashboard/{slug}/")
        assert exposure["owner"]["name"] in owners
        read = {
            DATASETS[CHARTS[u]["dataset_uuid"]]["table_name"].removesuffix("_latest")
            for u in chart_uuids(dashboard)
        }
        assert {r.removeprefix("ref('").removesuffix("')") for r in exposure["depends_on"]} == read


def test_every_chart_is_on_a_dashboard_once_and_every_uuid_is_unique() -> None:
    placed = [u for dashboard in DASHBOARDS.values() for u in chart_uuids(dashboard)]
    assert sorted(placed) == sorted(CHARTS)
    uuids = [*DATASETS, *CHARTS, *(d["uuid"] for d in DASHBOARDS.values())]
    assert len(set(uuids)) == len(uuids)


def test_no_file_of_the_bundle_names_a_database_or_a_password() -> None:
    assert not (ASSETS / "databases").exists(), "the connection is made at provisioning time"
    for path in Path(ASSETS).rglob("*.yaml"):
        assert "sqlalchemy_uri" not in path.read_text(), path
