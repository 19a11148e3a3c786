"""The marts' descriptions as database comments (persist_docs) cost nothing once in place: a run
writes only a comment that differs from its description, and puts back one changed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import PROJECT_ROOT, Warehouse
from tests.dbt_support import DbtProject
from tests.recompute import fetch

pytestmark = pytest.mark.dbt

SPEC = GeneratorSpec(events=3_000, days=5, seed=11)
MARTS = "marts.registry"
MODELS_YAML = (
    PROJECT_ROOT / "dbt_project" / "models" / "marts" / "registry" / "_registry__models.yml"
)


def _comment_statements(log: Path, since: int) -> list[str]:
    """The comment statements dbt sent after byte `since` of its log (the latest views'
    comments, which their post-hook makes again with the view, left out)."""
    text = log.read_text()[since:]
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip().startswith("comment on") and not line.strip().startswith("comment on view")
    ]


def _description(model: str, column: str) -> str:
    models = yaml.safe_load(MODELS_YAML.read_text())["models"]
    found = next(m for m in models if m["name"] == model)
    return next(c for c in found["columns"] if c["name"] == column)["description"]


def test_a_run_writes_only_the_comments_that_differ(warehouse: Warehouse, tmp_path: Path) -> None:
    for path in generate(SPEC, tmp_path / "landing", tables=SOURCES["registry"]):
        loader.load_file(warehouse, path)
    dbt = DbtProject(warehouse, tmp_path)
    log = tmp_path / "logs" / "dbt.log"
    dbt("run", "--select", "staging.registry", "intermediate.registry", MARTS)
    day = str(SPEC.last_day)

    # In place: a windowed run of the marts writes no comment.
    since = log.stat().st_size
    dbt("run", "--select", MARTS, min_date=day, max_date=day)
    assert _comment_statements(log, since) == []

    # A column comment changed by hand and a table's removed: the next run writes those two.
    with warehouse.cursor() as cursor:
        cursor.execute("comment on column marts.module_stats_daily.download_count is 'stale'")
        cursor.execute("comment on table marts.module_stats_weekly is null")
    since = log.stat().st_size
    dbt("run", "--select", MARTS, min_date=day, max_date=day)
    written = _comment_statements(log, since)
    assert len(written) == 2, written
    assert any("module_stats_daily" in s and '"download_count"' in s for s in written), written
    assert any(s.startswith("comment on table") and "module_stats_weekly" in s for s in written)

    [row] = fetch(
        warehouse,
        "select col_description('marts.module_stats_daily'::regclass, a.attnum) as col,"
        " obj_description('marts.module_stats_weekly'::regclass) as weekly"
        " from pg_attribute as a where a.attrelid = 'marts.module_stats_daily'::regclass"
        " and a.attname = 'download_count'",
    )
    expected = _description("module_stats_daily", "download_count")
    assert " ".join(row["col"].split()) == " ".join(expected.split())
    assert row["weekly"] and row["weekly"].strip()
