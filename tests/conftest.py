"""Every test runs against a real PostgreSQL: a fresh database on the configured server
(the embedded one under .warehouse/ unless WAREHOUSE_URL or PG* variables say otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import migrate
from ingest.warehouse import Warehouse, resolve
from tests.databases import cloned_database, fresh_database
from tests.dbt_support import environment


@pytest.fixture(scope="session", autouse=True)
def published_dbt_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Production runs of the tests publish their dbt artifacts here, never into the
    checkout's .warehouse/dbt-state that an engineer's slim builds defer to."""
    folder = tmp_path_factory.mktemp("dbt-state")
    with environment(WAREHOUSE_DBT_STATE_DIR=str(folder)):
        yield folder


@pytest.fixture(scope="session")
def server() -> Warehouse:
    return resolve()


@pytest.fixture
def empty_warehouse(server: Warehouse) -> Iterator[Warehouse]:
    with fresh_database(server) as warehouse:
        yield warehouse


@pytest.fixture(scope="session")
def migrated_template(server: Warehouse) -> Iterator[Warehouse]:
    """The raw schema migrated once per session: every test copies it (a file copy) instead of
    running the migrations again (a second a test)."""
    with fresh_database(server, "template") as template:
        migrate.migrate(template)
        yield template


@pytest.fixture
def warehouse(server: Warehouse, migrated_template: Warehouse) -> Iterator[Warehouse]:
    """A database of its own with the raw schema migrated."""
    with cloned_database(server, migrated_template) as warehouse:
        yield warehouse


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder
