"""Versioned migrations of the raw schema: each file runs once, in order, in its own transaction.

The files themselves are also written to be idempotent (`if not exists`), so a database that
was set up by hand, or a migration interrupted between its DDL and its ledger row, is safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ingest.warehouse import Warehouse

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")
# Any constant serves; it keeps two processes from migrating at the same time.
MIGRATION_LOCK_KEY = 7_202_611


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def available_migrations() -> list[Migration]:
    migrations = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = MIGRATION_FILE.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name} is not named NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path))
    return migrations


def migrate(warehouse: Warehouse) -> list[Migration]:
    """Applies the migrations the database has not seen yet; returns the ones applied."""
    applied: list[Migration] = []
    with warehouse.connect() as connection:
        connection.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            connection.execute("create schema if not exists raw")
            connection.execute(
                "create table if not exists raw._migrations ("
                " version integer primary key, name text not null,"
                " applied_at timestamptz not null default now())"
            )
            connection.commit()
            done = {row[0] for row in connection.execute("select version from raw._migrations")}
            connection.commit()  # each migration below is then a transaction of its own
            for migration in available_migrations():
                if migration.version in done:
                    continue
                with connection.transaction():
                    connection.execute(migration.path.read_text())
                    connection.execute(
                        "insert into raw._migrations (version, name) values (%s, %s)",
                        (migration.version, migration.name),
                    )
                applied.append(migration)
        finally:
            _unlock(connection)
    return applied


def _unlock(connection: psycopg.Connection) -> None:
    """Releases the migration lock. A session's advisory lock outlives a rollback, so the
    unlock runs after one: in a transaction a failed statement aborted, the unlock itself would
    fail and its error ('current transaction is aborted') would replace the failure's own."""
    if connection.broken:
        return  # the server ended the session, and its locks with it
    connection.rollback()
    connection.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    connection.commit()
