"""Every test runs against a real PostgreSQL: a fresh database on the configured server
(the embedded one under .warehouse/ unless WAREHOUSE_URL or PG* variables say otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import migrate
from ingest.warehouse import Warehouse, resolve
from tests.databases import fresh_database


@pytest.fixture(scope="session")
def server() -> Warehouse:
    return resolve()


@pytest.fixture
def empty_warehouse(server: Warehouse) -> Iterator[Warehouse]:
    with fresh_database(server) as warehouse:
        yield warehouse


@pytest.fixture
def warehouse(empty_warehouse: Warehouse) -> Warehouse:
    """A fresh database with the raw schema migrated."""
    migrate.migrate(empty_warehouse)
    return empty_warehouse


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder
