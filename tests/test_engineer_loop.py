"""The analytics engineer's loop (README "Editing a model"), on a production warehouse built by
Dagster: the run publishes its dbt artifacts; a slim build of one changed mart builds it and
what depends on it in a dev schema, reads everything else from production and leaves
production's marts as they were; the comparison reports what the change did; the docs site
serves the project; `dbt source freshness` reads the load ledger with Dagster's limits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from ingest import migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import PROJECT_ROOT, SALT_VARIABLE, Warehouse
from orchestration.definitions import build_definitions
from orchestration.demo import QUIET
from orchestration.lib.jobs import LOAD_JOB, source_job_name
from orchestration.lib.schedules import RANGE_END_TAG, RANGE_START_TAG
from orchestration.lib.settings import DBT_PRODUCTION_TARGET, Settings
from tests.browser import free_port
from tests.databases import cloned_database, fresh_database
from tests.dbt_support import environment
from tests.recompute import fetch

pytestmark = pytest.mark.dbt

SPEC = GeneratorSpec(events=8_000, days=4, seed=41, late_share=0.0)
DEV_SCHEMA = "dev_tester"
CHANGED = "module_stats_daily"
# The registry's snapshot marts read module_stats_daily, and the monthly rollup sums its days
# (models/marts/registry/, macros/registry/module_stats_rollup.sql).
CHILDREN = {"module_stats_monthly", "registry_overview", "top_modules_30d", "trending_modules"}
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Production:
    warehouse: Warehouse
    state: Path
    work: Path


@pytest.fixture(scope="module")
def production(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    """The registry loaded and built by Dagster, one backfill run over every day."""
    work = tmp_path_factory.mktemp("engineer")
    generate(SPEC, work / "landing", tables=SOURCES["registry"])
    first, last = SPEC.first_day, SPEC.first_day + timedelta(days=SPEC.days - 1)
    settings = Settings(
        work / "landing", first.isoformat(), restatement_days=3, owner="team:t",
        dbt_state_dir=work / "dbt-state",
    )  # fmt: skip
    with (
        fresh_database(server) as warehouse,
        dg.instance_for_test() as instance,
        environment(WAREHOUSE_URL=warehouse.url, **{SALT_VARIABLE: "salt-of-production"}),
    ):
        migrate.migrate(warehouse)
        defs = build_definitions(settings)
        tags = {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
        for job, job_tags in ((LOAD_JOB, None), (source_job_name("registry"), tags)):
            result = defs.resolve_job_def(job).execute_in_process(
                instance=instance, run_config=QUIET, raise_on_error=False, tags=job_tags
            )
            assert result.success, [e.message for e in result.all_events if e.is_failure]
        yield Production(warehouse, settings.dbt_state_dir, work)


def _dbt(
    production: Production, project: Path, *args: str, target: str = "dev"
) -> subprocess.CompletedProcess[str]:
    """The dbt CLI as an engineer types it in `project`, on the production warehouse."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--target", target,
         "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, **production.warehouse.dbt_env(), "DBT_DEV_SCHEMA": DEV_SCHEMA,
             SALT_VARIABLE: "salt-of-production"},
    )  # fmt: skip


def _fingerprints(warehouse: Warehouse, schema: str) -> dict[str, tuple[int, str]]:
    """Every table of the schema: its row count and a digest of its rows in a fixed order."""
    tables = [
        row["table_name"]
        for row in fetch(
            warehouse,
            "select table_name from information_schema.tables"
            f" where table_schema = '{schema}' and table_type = 'BASE TABLE'",
        )
    ]
    prints = {}
    for table in tables:
        [row] = fetch(
            warehouse,
            f"select count(*) as n, md5(coalesce(string_agg(t::text, '|' order by t::text), ''))"
            f' as digest from {schema}."{table}" as t',
        )
        prints[table] = (row["n"], row["digest"])
    return prints


def _compare(production: Production, project: Path, **arguments: str) -> dict[str, str]:
    """`make compare`'s dbt command; its printed table as label -> value."""
    done = _dbt(
        production, project, "run-operation", "compare_with_production", "--quiet",
        "--args", json.dumps(arguments),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    table = {}
    for line in done.stdout.splitlines():
        label, _, value = line.strip().rpartition(" ")
        if value.isdigit():
            table[label.strip()] = value
    table["verdict"] = done.stdout.strip().splitlines()[-1].strip()
    return table


def test_a_production_run_publishes_its_dbt_artifacts(production: Production) -> None:
    manifest = json.loads((production.state / "manifest.json").read_text())
    mart = manifest["nodes"][f"model.event_warehouse.{CHANGED}"]
    assert mart["schema"] == "marts"  # parsed for production, not a dev schema
    results = json.loads((production.state / "run_results.json").read_text())["results"]
    built = {r["unique_id"] for r in results if r["status"] == "success"}
    assert f"model.event_warehouse.{CHANGED}" in built


def test_a_slim_build_builds_the_change_in_a_dev_schema_and_leaves_production_alone(
    production: Production, tmp_path: Path
) -> None:
    warehouse = production.warehouse
    [top] = fetch(
        warehouse,
        f"select module_name from marts.{CHANGED} group by 1 order by count(*) desc, 1 limit 1",
    )
    excluded = top["module_name"]
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns(
        "target", "logs"))  # fmt: skip
    model = project / "models" / "marts" / "registry" / f"{CHANGED}.sql"
    config, _, body = model.read_text().partition("\n\n")
    model.write_text(
        f"{config}\n\nwith rollup as (\n{body}\n)\n\n"
        f"select * from rollup where module_name <> '{excluded}'\n"
    )
    before = _fingerprints(warehouse, "marts")

    done = _dbt(
        production, project, "build", "--select", "state:modified+", "--defer",
        "--state", str(production.state),
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    models = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    assert models == {CHANGED} | CHILDREN
    # Exposures downstream (the registry dashboard) are selected too and report no-op.
    built = [r for r in results if not r["unique_id"].startswith("exposure.")]
    assert all(r["status"] in ("success", "pass") for r in built), built
    assert _fingerprints(warehouse, "marts") == before
    dev = _fingerprints(warehouse, f"{DEV_SCHEMA}_marts")
    assert set(dev) == {CHANGED} | CHILDREN

    [counts] = fetch(
        warehouse,
        f"select count(*) as total, count(*) filter (where module_name = '{excluded}') as removed,"
        f" count(*) filter (where period_start = (select max(period_start) from marts.{CHANGED}))"
        f" as last_day, max(period_start)::text as last from marts.{CHANGED}",
    )
    report = _compare(production, project, model=CHANGED)
    assert report["rows in production"] == str(counts["total"])
    assert report["rows in dev"] == str(counts["total"] - counts["removed"])
    assert report["keys only in production"] == str(counts["removed"])
    assert report["keys only in dev"] == "0"
    assert report["download_count"] == report["unique_users"] == "0"
    assert report["verdict"] == "DIFFERENT"
    one_day = _compare(production, project, model=CHANGED, min_date=counts["last"])
    assert one_day["rows in production"] == str(counts["last_day"])
    unchanged = _compare(production, project, model="top_modules_30d", min_date=counts["last"])
    assert unchanged["rows in production"] != "0"


def test_source_freshness_reads_the_load_ledger(production: Production, server: Warehouse) -> None:
    with cloned_database(server, production.warehouse) as copy:
        copy_of = Production(copy, production.state, production.work)
        project = PROJECT_ROOT / "dbt_project"
        freshness = ("source", "freshness", "--select", "source:registry")
        fresh = _dbt(copy_of, project, *freshness, target=DBT_PRODUCTION_TARGET)
        assert fresh.returncode == 0, fresh.stdout + fresh.stderr
        with copy.cursor() as cursor:  # the last load of download_events, 3 days ago
            cursor.execute(
                "update raw._loads set finished_at = finished_at - interval '3 days'"
                " where table_name = 'download_events'"
            )
        stale = _dbt(copy_of, project, *freshness, target=DBT_PRODUCTION_TARGET)
    assert stale.returncode == 1
    assert "ERROR STALE freshness of registry.download_events" in stale.stdout
    assert "PASS freshness of registry.module_view_events" in stale.stdout


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stops a server the test started; one slow to leave on a loaded machine is killed."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def test_the_docs_site_shows_a_mart_with_its_columns(production: Production) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is required (.ci/run installs it)"
    project = PROJECT_ROOT / "dbt_project"
    target = production.work / "docs"
    generated = _dbt(production, project, "docs", "generate", "--target-path", str(target),
                     target=DBT_PRODUCTION_TARGET)  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    catalog = json.loads((target / "catalog.json").read_text())
    assert "download_count" in catalog["nodes"][f"model.event_warehouse.{CHANGED}"]["columns"]
    port = free_port()
    serve = subprocess.Popen(
        [str(Path(sys.executable).parent / "dbt"), "docs", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--no-browser", "--target-path", str(target),
         "--project-dir", str(project), "--profiles-dir", str(project)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **production.warehouse.dbt_env()},
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and serve.poll() is None, "docs never served"
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}#!/model/model.event_warehouse.{CHANGED}")
            page.get_by_text("cache_hit_download_count").first.wait_for(timeout=60_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dbt-docs-module_stats_daily.png"))
            assert "registry" in page.content()  # the mart's group
            browser.close()
    finally:
        stop(serve)


def test_each_source_is_a_dbt_group_public_marts_private_layers_below(
    production: Production,
) -> None:
    """A model of models/<layer>/<source>/ is in the group <source> (Dagster selects a source's
    models by group, and takes their owner from it); marts public, the layers below private."""
    manifest = json.loads((production.state / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    by_source = [m for m in models if m["fqn"][2] in SOURCES]
    assert {m["fqn"][2] for m in by_source} >= {"registry", "builds"}
    for model in by_source:
        layer, source = model["fqn"][1], model["fqn"][2]
        assert model["config"]["group"] == source, model["name"]
        assert model["access"] == ("public" if layer == "marts" else "private"), model["name"]
    owners = {group["name"]: group["owner"]["name"] for group in manifest["groups"].values()}
    assert {m["fqn"][2] for m in by_source} <= owners.keys()
