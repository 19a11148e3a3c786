"""`make ui` for real: the webserver and daemon on a test warehouse, a backfill launched the
way the UI launches it (GraphQL launchPartitionBackfill), and a headless browser."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import PROJECT_ROOT, Warehouse
from orchestration.definitions import build_definitions
from orchestration.lib.jobs import source_job_name
from orchestration.lib.settings import Settings
from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port
from tests.databases import fresh_database
from tests.dbt_support import environment
from tests.recompute import assert_rows_match, fetch, keyed
from tests.registry import recompute as expected
from tests.registry.recompute import RawRegistry

pytestmark = pytest.mark.dbt

SPEC = GeneratorSpec(events=8_000, days=4, seed=33, late_share=0.0)
REGISTRY_JOB = source_job_name("registry")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
STARTUP_SECONDS = 180
BACKFILL_SECONDS = 600

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
  }
}"""
LATEST_BACKFILL = """
query { partitionBackfillsOrError(limit: 1) { ... on PartitionBackfills { results { id } } } }"""
BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status runs { runId status } }
  }
}"""


@dataclass
class UiServer:
    url: str
    warehouse: Warehouse
    days: list[date]
    daily_keys: list[list[str]]

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.loads(response.read())
        assert "errors" not in body, body["errors"]
        return body["data"]

    def latest_backfill_id(self) -> str:
        backfills = self.graphql(LATEST_BACKFILL, {})["partitionBackfillsOrError"]["results"]
        return backfills[0]["id"]

    def wait_for_backfill(self, backfill_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + BACKFILL_SECONDS
        while time.monotonic() < deadline:
            backfill = self.graphql(BACKFILL_STATUS, {"id": backfill_id})[
                "partitionBackfillOrError"
            ]
            if backfill["status"] not in ("REQUESTED", "CANCELING"):
                return backfill
            time.sleep(2)
        raise AssertionError(f"backfill {backfill_id} did not finish in {BACKFILL_SECONDS} s")


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the UI exited during start-up"
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"the UI did not answer within {STARTUP_SECONDS} s")


@pytest.fixture(scope="module")
def ui(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    work = tmp_path_factory.mktemp("ui")
    days = [SPEC.first_day + timedelta(days=n) for n in range(SPEC.days)]
    settings = Settings(
        work / "landing", days[0].isoformat(), restatement_days=3, owner="team:t",
        dbt_state_dir=work / "dbt-state",
    )  # fmt: skip
    with fresh_database(server) as warehouse:
        migrate.migrate(warehouse)
        generate(SPEC, settings.landing_dir, tables=SOURCES["registry"])
        env = {
            **os.environ,
            "WAREHOUSE_URL": warehouse.url,
            "WAREHOUSE_PII_SALT": "test-salt-of-a-deployment",
            "DAGSTER_HOME": str(work / "dagster"),
            "WAREHOUSE_LANDING_DIR": str(settings.landing_dir),
            "WAREHOUSE_PARTITIONS_START": settings.partitions_start,
            "DAGSTER_UI_PORT": str(free_port()),
        }
        (work / "dagster").mkdir()
        # The history a person would have: files loaded and the first day built, by Dagster.
        for command in (
            ["job", "execute", "-j", "load_landing_files_job"],
            [
                "asset",
                "materialize",
                "--select",
                "group:registry and kind:dbt",
                "--partition",
                days[0].isoformat(),
            ],
        ):
            subprocess.run(
                [str(Path(sys.executable).parent / "dagster"), *command,
                 "-m", "orchestration.definitions"],
                cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=600,
            )  # fmt: skip
        with environment(WAREHOUSE_URL=warehouse.url):  # for build_definitions below
            defs = build_definitions(settings)
        daily = defs.resolve_job_def(REGISTRY_JOB).asset_layer.selected_asset_keys
        log = (work / "ui.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.ui"], cwd=PROJECT_ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{env['DAGSTER_UI_PORT']}"
        try:
            _wait_until_up(url, process)
            yield UiServer(url, warehouse, days, [list(k.path) for k in sorted(daily)])
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) is not None, "SIGTERM stops the UI"
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(work / "ui.log", ARTIFACTS / "dagster-ui.log")


def test_a_backfill_launched_like_the_ui_is_one_run_with_correct_marts(ui: UiServer) -> None:
    launched = ui.graphql(LAUNCH_BACKFILL, {"params": {
        "assetSelection": [{"path": key} for key in ui.daily_keys],
        "partitionNames": [day.isoformat() for day in ui.days],
        "title": "test backfill",
    }})["launchPartitionBackfill"]  # fmt: skip
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill = ui.wait_for_backfill(launched["backfillId"])
    assert backfill["status"] == "COMPLETED_SUCCESS", backfill
    [run] = backfill["runs"]  # every day and every registry model in one run
    assert run["status"] == "SUCCESS"

    raw = RawRegistry.read(ui.warehouse)
    for grain, mart in (("day", "module_stats_daily"), ("week", "module_stats_weekly")):
        rows = keyed(
            fetch(ui.warehouse, f"select * from marts.{mart}"), "period_start", "module_name"
        )
        assert_rows_match(rows, expected.module_stats(raw, grain), expected.close)


BACKFILL_BY_ID = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { status partitionNames runs { status } }
  }
}"""


def _click_if_shown(page: Any, button: str, seconds: float) -> None:
    """Answers a dialog the UI shows only sometimes."""
    from playwright.sync_api import TimeoutError as NotShown

    target = page.get_by_role("button", name=button, exact=True)
    try:
        target.wait_for(timeout=seconds * 1000)
    except NotShown:
        return
    target.click()


def _dismiss_community_dialog(page: Any) -> None:
    """The UI greets a new browser with a newsletter dialog, sometimes a moment after load."""
    _click_if_shown(page, "Skip", 10)


def _launch_backfill_in_browser(page: Any, ui: UiServer, first: date, last: date) -> None:
    """Asset graph, then an asset's Materialize dialog: a range of days, Launch backfill."""
    from playwright.sync_api import expect

    page.goto(f"{ui.url}/asset-groups", wait_until="networkidle")
    _dismiss_community_dialog(page)
    for group in ("registry", "ingest", "actions", "product", "builds"):
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "asset-graph.png"))

    page.goto(f"{ui.url}/assets/marts/module_stats_weekly", wait_until="networkidle")
    _dismiss_community_dialog(page)
    page.get_by_role("button", name="Materialize…").click()
    # The fixture loaded the raw files outside Dagster, so the UI asks whether to go ahead.
    _click_if_shown(page, "Confirm", 10)
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    expect(dialog.get_by_text("Backfills all partitions in a single run.")).to_be_visible()
    partitions = dialog.locator("input[type=text]")
    partitions.fill(f"[{first}...{last}]")
    partitions.press("Tab")
    dialog.get_by_role("button", name="Launch backfill").click()
    page.get_by_text("Created backfill").wait_for()
    # The toast's link fades within seconds; open the same page by the id the server reports.
    page.goto(f"{ui.url}/runs/b/{ui.latest_backfill_id()}", wait_until="networkidle")


@pytest.mark.browser
def test_a_person_launches_a_backfill_from_the_browser(ui: UiServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is required (.ci/run installs it)"
    ARTIFACTS.mkdir(exist_ok=True)
    first, last = ui.days[1], ui.days[2]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)  # the UI is slow on a loaded 2-core machine
        expect.set_options(timeout=60_000)
        try:
            _launch_backfill_in_browser(page, ui, first, last)
        finally:
            page.screenshot(path=str(ARTIFACTS / "browser-last-page.png"))
        backfill_id = page.url.rstrip("/").split("/")[-1].split("?")[0]
        ui.wait_for_backfill(backfill_id)
        page.reload(wait_until="networkidle")
        expect(page.get_by_text("100% completed")).to_be_visible()
        expect(page.get_by_text("Succeeded").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "backfill-finished.png"))
        browser.close()

    backfill = ui.graphql(BACKFILL_BY_ID, {"id": backfill_id})["partitionBackfillOrError"]
    assert backfill["status"] == "COMPLETED_SUCCESS"
    assert backfill["partitionNames"] == [first.isoformat(), last.isoformat()]
    assert [run["status"] for run in backfill["runs"]] == ["SUCCESS"]
