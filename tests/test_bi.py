"""`make bi` for real: Superset installed from bi/requirements.txt, provisioned from bi/assets
against a warehouse of all four sources through the read-only role, and each dashboard opened
in headless Chromium: its charts render, and its headline number equals the mart's."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from bi.bundle import ASSETS, bundle_files, chart_uuids
from bi.provision import provision
from bi.server import ADMIN, Superset, ensure_venv
from ingest import access, loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.warehouse import PROJECT_ROOT, Warehouse
from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port
from tests.databases import fresh_database
from tests.dbt_support import DbtProject
from tests.recompute import fetch

pytestmark = [pytest.mark.dbt, pytest.mark.bi]

SPEC = GeneratorSpec(events=30_000, days=35, seed=16, late_share=0.0)
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DASHBOARDS = sorted(path.stem for path in (ASSETS / "dashboards").glob("*.yaml"))
# Each dashboard's headline numbers (its big-number charts), each with the same number read
# from the mart directly, as a BI user would check it in psql, and the chart's number format.
HEADLINES = {
    "registry": [("Downloads, last 30 days", "select downloads_30d from marts.registry_overview"
                  " where as_of_date = (select max(as_of_date) from marts.registry_overview)",
                  ",")],
    "actions": [("Executions, last 24 hours",
                 "select execution_count from marts.action_system_health", ",")],
    "product": [("Daily active users", "select active_users from marts.active_users_daily"
                 " where is_complete order by period_start desc limit 1", ","),
                ("Prompt-cache hit rate", "select hits::double precision / lookups"
                 " from marts.llm_prompt_cache_daily where is_complete"
                 " order by period_start desc limit 1", ".1%")],
    "builds": [("Build requests, last 30 days", "select total_requests from marts.build_overview"
                " where period_days = 30 and as_of_date = (select max(as_of_date)"
                " from marts.build_overview)", ",")],
}  # fmt: skip
ASSET_TABLES = ("dbs", "tables", "table_columns", "slices", "dashboards", "dashboard_slices")


@pytest.fixture(scope="module")
def warehouse_of_all_sources(
    server: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """Generated events of every source loaded, every model built (marts, `_latest` views,
    the reader's grants)."""
    work = tmp_path_factory.mktemp("bi-warehouse")
    with fresh_database(server) as warehouse:
        migrate.migrate(warehouse)
        for path in generate(SPEC, work / "landing"):
            loader.load_file(warehouse, path)
        dbt = DbtProject(warehouse, work)
        dbt("seed")
        dbt("run")
        yield warehouse


@pytest.fixture(scope="module")
def superset(
    warehouse_of_all_sources: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Superset]:
    """Superset as `make bi` runs it (the same virtualenv, made here if CI has none yet),
    with a home of its own, provisioned once, serving on a free port."""
    ensure_venv()
    instance = Superset(home=tmp_path_factory.mktemp("bi-home"), port=free_port())
    instance.initialise()
    assert provision(instance, access.reader_login(warehouse_of_all_sources))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        for log in ("superset.log", "provision.log"):
            if (instance.home / log).exists():
                (ARTIFACTS / f"bi-{log}").write_text((instance.home / log).read_text())


def _asset_counts(superset: Superset) -> dict[str, int]:
    with sqlite3.connect(superset.home / "superset.db") as metadata:
        return {
            t: metadata.execute(f"select count(*) from {t}").fetchone()[0] for t in ASSET_TABLES
        }


def test_provisioning_twice_changes_and_duplicates_nothing(
    superset: Superset, warehouse_of_all_sources: Warehouse
) -> None:
    reader = access.reader_login(warehouse_of_all_sources)
    before = _asset_counts(superset)
    assert before["dashboards"] == len(DASHBOARDS)
    assert before["slices"] == len(list((ASSETS / "charts").glob("*.yaml")))
    assert before["dbs"] == 1
    assert not provision(superset, reader), "the same bundle is not imported again"
    (superset.home / "provisioned.sha256").unlink()
    assert provision(superset, reader), "a forced import runs"
    assert _asset_counts(superset) == before, "importing again overwrites, never duplicates"


def test_superset_logs_in_as_the_reader_and_the_password_is_in_no_file_of_the_repository(
    superset: Superset, warehouse_of_all_sources: Warehouse
) -> None:
    reader = access.reader_login(warehouse_of_all_sources)
    with sqlite3.connect(superset.home / "superset.db") as metadata:
        [(uri,)] = metadata.execute("select sqlalchemy_uri from dbs").fetchall()
    assert uri.startswith(f"postgresql+psycopg2://{reader.user}:")
    assert reader.password not in uri, "Superset stores the password encrypted, not in the URI"
    repository_text = "".join(p.read_text() for p in (PROJECT_ROOT / "bi").rglob("*.y*ml"))
    assert reader.password not in repository_text
    assert reader.password in bundle_files(reader)["databases/warehouse.yaml"]


def _log_in(page: Any, superset: Superset) -> None:
    page.goto(f"{superset.url}/login/", wait_until="networkidle")
    page.locator("#username").fill(ADMIN)
    page.locator("#password").fill(superset.admin_password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/superset/welcome/|/dashboard/list/"), timeout=120_000)


# A chart holder is done when its spinner is gone and its chart drew something (an ECharts
# canvas, a table, a big number, an SVG inside the chart's own container), said there is no
# data, or showed an error (which the test then reports).
CHARTS_DONE = """(expected) => {
  const holders = [...document.querySelectorAll('.dashboard-component-chart-holder')];
  return holders.length === expected && holders.every((holder) =>
    !holder.querySelector('.loading') && (
      holder.querySelector('.slice_container :is(canvas, table, svg, .header-line)') ||
      holder.querySelector('[role=alert]') ||
      holder.innerText.includes('No results')));
}"""


def _wait_for_charts(page: Any, slug: str, expected_charts: int) -> None:
    """Every chart of the dashboard has rendered; then no error or alert box anywhere."""
    page.wait_for_function(CHARTS_DONE, arg=expected_charts, polling=500)
    errors = page.locator("[role=alert], .alert-danger, [data-test=error-tooltip]")
    assert errors.count() == 0, f"{slug}: {errors.all_inner_texts()}"
    assert "No results" not in page.inner_text("body"), f"{slug}: a chart has no data"


def _headline(page: Any, chart: str) -> str:
    """The big number shown in the chart whose title contains `chart`."""
    holder = page.locator(".dashboard-component-chart-holder").filter(has_text=chart)
    return holder.locator(".header-line").first.inner_text().strip()


@pytest.mark.browser
def test_each_dashboard_renders_in_a_browser_and_shows_the_marts_numbers(
    superset: Superset, warehouse_of_all_sources: Warehouse
) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is required (.ci/run installs it)"
    assert set(HEADLINES) == set(DASHBOARDS)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1400})
        page.set_default_timeout(120_000)  # Superset's first page loads are slow on 2 cores
        expect.set_options(timeout=120_000)
        _log_in(page, superset)
        for slug in DASHBOARDS:
            charts = len(
                chart_uuids(yaml.safe_load((ASSETS / "dashboards" / f"{slug}.yaml").read_text()))
            )
            page.goto(f"{superset.url}/superset/dashboard/{slug}/", wait_until="networkidle")
            try:
                _wait_for_charts(page, slug, charts)
                page.wait_for_timeout(2_000)  # the charts' drawing animations end
            finally:
                page.screenshot(path=str(ARTIFACTS / f"bi-{slug}.png"), full_page=True)
            for chart, query, number_format in HEADLINES[slug]:
                [row] = fetch(warehouse_of_all_sources, query)
                [value] = row.values()
                assert value > 0, f"{slug}: the sample data leaves {chart} empty"
                assert _headline(page, chart) == f"{value:{number_format}}", (slug, chart)
        browser.close()
