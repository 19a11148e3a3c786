"""Incremental runs, day by day with late and re-sent events, equal a full refresh."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.dbt_support import DbtProject, rows_differing
from tests.registry.recompute import fetch

pytestmark = pytest.mark.dbt

REGISTRY_MODELS = "staging.registry intermediate.registry marts.registry"
# The first day is an initial build of everything loaded (the catalog's history included);
# the files of the last days are built with a bare `dbt run`, whose default window must take
# what arrived since the last run plus the lookback for late events; the days between are
# built with an explicit window, as orchestration runs a partition.
BARE_RUN_DAYS = 8


def _files_by_day(files: list[Path]) -> tuple[list[Path], dict[date, list[Path]]]:
    catalog, by_day = [], defaultdict(list)
    for path in files:
        label = path.stem.split("__", 1)[1]
        if label == "catalog":
            catalog.append(path)
        else:
            by_day[date.fromisoformat(label)].append(path)
    return catalog, dict(sorted(by_day.items()))


def _registry_relations(warehouse: Warehouse) -> list[str]:
    rows = fetch(
        warehouse,
        "select table_schema || '.' || table_name as relation from information_schema.tables"
        " where table_schema in ('staging', 'marts') and table_type = 'BASE TABLE'"
        " and (table_name like 'stg_registry%' or table_schema = 'marts') order by 1",
    )
    return [row["relation"] for row in rows]


def test_day_by_day_incremental_runs_equal_a_full_refresh(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    spec = GeneratorSpec(events=30_000, days=60, seed=5, late_share=0.05, duplicate_share=0.02)
    files = generate(spec, tmp_path / "landing", tables=SOURCES["registry"])
    catalog, by_day = _files_by_day(files)
    dbt = DbtProject(warehouse, tmp_path)
    lookback = timedelta(days=3)  # the generator's late events are at most 3 days late

    for path in catalog:
        loader.load_file(warehouse, path)
    for index, (day, day_files) in enumerate(by_day.items()):
        for path in day_files:
            loader.load_file(warehouse, path)
        if 0 < index < len(by_day) - BARE_RUN_DAYS:
            dbt(
                "run",
                "--select",
                *REGISTRY_MODELS.split(),
                min_date=str(day - lookback),
                max_date=str(day),
            )
        else:
            dbt("run", "--select", *REGISTRY_MODELS.split())

    relations = _registry_relations(warehouse)
    assert len(relations) == 13
    # Every windowed run stored the snapshots of its days: the history the refresh rebuilds.
    [snapshots] = fetch(
        warehouse, "select count(distinct as_of_date) as days from marts.top_modules_30d"
    )
    assert snapshots["days"] >= len(by_day) - BARE_RUN_DAYS
    with warehouse.cursor() as cursor:
        cursor.execute("create schema incremental_result")
        for relation in relations:
            copy = "incremental_result." + relation.replace(".", "__")
            cursor.execute(f"create table {copy} as table {relation}")
    dbt("run", "--select", *REGISTRY_MODELS.split(), "--full-refresh")

    differences = {
        relation: rows_differing(
            warehouse, relation, "incremental_result." + relation.replace(".", "__")
        )
        for relation in relations
    }
    assert differences == dict.fromkeys(relations, 0)
    # A late event sits in a file named after a later day than its own.
    [late] = fetch(
        warehouse,
        "select count(*) as rows from raw.download_events as d"
        " join raw._loads as l on l.load_id = d._load_id"
        " where l.file_name > 'download_events__' || (d.downloaded_at at time zone 'UTC')::date",
    )
    assert late["rows"] > 0, "the run saw late events"
