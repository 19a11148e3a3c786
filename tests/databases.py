"""Throwaway databases on the configured server, for tests and benchmarks alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from ingest import embedded
from ingest.warehouse import Warehouse


def administrator(server: Warehouse) -> Warehouse:
    """Who makes and drops databases: the embedded server's superuser (the owner role may
    not create databases), or on a configured server the configured login itself."""
    return embedded.start_superuser() if server.embedded else server


@contextmanager
def _database(server: Warehouse, prefix: str, create: str) -> Iterator[Warehouse]:
    """Runs `create` (naming the new database {name}, owned by {owner}), yields it as `server`
    logs in, and drops it afterwards even when the work inside fails, so an interrupted test
    or benchmark leaves nothing behind."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = administrator(server)
    with admin.connect(autocommit=True) as connection:
        connection.execute(create.format(name=name, owner=server.user))
    try:
        yield server.with_database(name)
    finally:
        with admin.connect(autocommit=True) as connection:
            connection.execute(f'drop database if exists "{name}" with (force)')


def fresh_database(server: Warehouse, prefix: str = "test") -> AbstractContextManager[Warehouse]:
    """A database of its own."""
    return _database(server, prefix, 'create database "{name}" owner "{owner}"')


def cloned_database(server: Warehouse, template: Warehouse) -> AbstractContextManager[Warehouse]:
    """A copy of a built database (CREATE DATABASE ... TEMPLATE, a file copy): a test that
    changes data gets its own without rebuilding it. Sessions left idle on the template (a
    pooled connection) are closed first; a copy needs none."""
    with administrator(server).connect(autocommit=True) as connection:
        connection.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where datname = %s and pid <> pg_backend_pid()",
            (template.dbname,),
        )
    return _database(
        server,
        "clone",
        f'create database "{{name}}" owner "{{owner}}" template "{template.dbname}"'
        " strategy file_copy",
    )
