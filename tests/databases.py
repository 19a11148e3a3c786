"""Throwaway databases on the configured server, for tests and benchmarks alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from ingest.warehouse import Warehouse


@contextmanager
def fresh_database(server: Warehouse, prefix: str = "test") -> Iterator[Warehouse]:
    """A database of its own, dropped afterwards even when the work inside it fails, so an
    interrupted test or benchmark leaves no database behind."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with server.connect(autocommit=True) as connection:
        connection.execute(f'create database "{name}"')
    try:
        yield server.with_database(name)
    finally:
        with server.connect(autocommit=True) as connection:
            connection.execute(f'drop database if exists "{name}" with (force)')
