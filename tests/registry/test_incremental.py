"""Incremental runs, day by day with late and re-sent events, equal a full refresh."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.dbt_support import (
    DbtProject,
    differences_from_full_refresh,
    files_by_day,
    replay_day_by_day,
    tables_of,
)
from tests.recompute import fetch
from tests.sources import models_of

pytestmark = pytest.mark.dbt

REGISTRY_MODELS = models_of("registry")
# The first day is an initial build of everything loaded (the catalog's history included);
# the files of the last days are built with a bare `dbt run`, whose default window must take
# what arrived since the last run plus the lookback for late events; the days between are
# built with an explicit window, as orchestration runs a partition.
BARE_RUN_DAYS = 8


def test_day_by_day_incremental_runs_equal_a_full_refresh(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    spec = GeneratorSpec(events=30_000, days=60, seed=5, late_share=0.05, duplicate_share=0.02)
    files = generate(spec, tmp_path / "landing", tables=SOURCES["registry"])
    dbt = DbtProject(warehouse, tmp_path)
    for path in files:
        if path.stem.endswith("__catalog"):
            loader.load_file(warehouse, path)
    by_day = files_by_day(files)
    # The generator's late events are at most 3 days late: the lookback of a windowed run.
    replay_day_by_day(dbt, by_day, REGISTRY_MODELS, BARE_RUN_DAYS, timedelta(days=3))

    relations = tables_of(dbt, "registry")
    assert len(relations) == 13
    # Every windowed run stored the snapshots of its days: the history the refresh rebuilds.
    [snapshots] = fetch(
        warehouse, "select count(distinct as_of_date) as days from marts.top_modules_30d"
    )
    assert snapshots["days"] >= len(by_day) - BARE_RUN_DAYS
    differences = differences_from_full_refresh(dbt, relations, REGISTRY_MODELS)
    assert differences == dict.fromkeys(relations, 0)
    # A late event sits in a file named after a later day than its own.
    [late] = fetch(
        warehouse,
        "select count(*) as rows from raw.download_events as d"
        " join raw._loads as l on l.load_id = d._load_id"
        " where l.file_name > 'download_events__' || (d.downloaded_at at time zone 'UTC')::date",
    )
    assert late["rows"] > 0, "the run saw late events"
