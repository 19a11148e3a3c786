"""Every test runs against a real PostgreSQL: a fresh database on the configured server
(the embedded one under .warehouse/ unless WAREHOUSE_URL or PG* variables say otherwise)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ingest import migrate
from ingest.warehouse import Warehouse, resolve


def _create_database(server: Warehouse, name: str) -> Warehouse:
    with server.connect(autocommit=True) as connection:
        connection.execute(f'create database "{name}"')
    return server.with_database(name)


def _drop_database(server: Warehouse, name: str) -> None:
    with server.connect(autocommit=True) as connection:
        connection.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def server() -> Warehouse:
    return resolve()


@contextmanager
def fresh_database(server: Warehouse) -> Iterator[Warehouse]:
    """A database of its own, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield _create_database(server, name)
    _drop_database(server, name)


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
