"""Who may do what: an owner role that loads and builds the warehouse, a reader for BI tools.

- The owner (`WAREHOUSE_OWNER_ROLE`, default `warehouse_owner`) is what ingest, dbt and Dagster
  connect as: it owns the schemas and everything in them, and is not a superuser (it cannot
  read server files, run programs, or touch other databases' objects).
- The reader (`WAREHOUSE_READER_ROLE`, default `warehouse_reader`) logs in with a password and
  may only `select` from `marts`: every transaction read-only by default, a statement timeout
  (`WAREHOUSE_READER_STATEMENT_TIMEOUT`, default 60s). dbt grants it each mart it builds
  (`grants` in dbt_project.yml) and the schema (`grant_reader_access`, on-run-end).

On the embedded warehouse the roles are made here, with passwords generated once into the
warehouse folder (or taken from `WAREHOUSE_OWNER_PASSWORD` / `WAREHOUSE_READER_PASSWORD`). On
a configured server the deployment makes them (`python -m ingest roles` does, given a
connection allowed to create roles).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace

import psycopg
from psycopg import sql

from ingest.warehouse import Warehouse, embedded_secret, warehouse_dir

SCHEMAS = ("raw", "staging", "intermediate", "marts")
DEFAULT_STATEMENT_TIMEOUT = "60s"
# Neither role may do more than its grants say.
UNPRIVILEGED = "nosuperuser nocreatedb nocreaterole noreplication nobypassrls"
# Bumped when what set_up does changes, so embedded warehouses set up before do it again.
SETUP_VERSION = "1"


@dataclass(frozen=True)
class Role:
    kind: str  # owner or reader
    name: str
    password: str | None = field(repr=False)

    @property
    def password_variable(self) -> str:
        return f"WAREHOUSE_{self.kind.upper()}_PASSWORD"


def _role(kind: str, embedded: bool) -> Role:
    name = os.environ.get(f"WAREHOUSE_{kind.upper()}_ROLE") or f"warehouse_{kind}"
    password = os.environ.get(f"WAREHOUSE_{kind.upper()}_PASSWORD") or (
        embedded_secret(f"{kind}_password") if embedded else None
    )
    return Role(kind, name, password)


def owner(embedded: bool) -> Role:
    return _role("owner", embedded)


def reader(embedded: bool) -> Role:
    return _role("reader", embedded)


class AccessNotConfigured(RuntimeError):
    """A role's password is needed and was not given."""


def reader_of(owner_connection: Warehouse) -> Warehouse:
    """The reader's login to the same server and database."""
    role = reader(owner_connection.embedded)
    if role.password is None:
        raise AccessNotConfigured(
            f"set {role.password_variable} to the password of the reader role {role.name}"
        )
    return replace(owner_connection, user=role.name, password=role.password)


def over_tcp(connection: Warehouse) -> Warehouse:
    """The same login as a BI tool reaches it: over TCP on the embedded server."""
    if not connection.embedded:
        return connection
    from ingest import embedded

    return embedded.over_tcp(connection)


def reader_login(owner_connection: Warehouse) -> Warehouse:
    """What `make dsn` and the demo hand BI tools: the reader's login, over TCP."""
    return reader_of(over_tcp(owner_connection))


def statement_timeout() -> str:
    return os.environ.get("WAREHOUSE_READER_STATEMENT_TIMEOUT") or DEFAULT_STATEMENT_TIMEOUT


def _create_or_update_role(cursor: psycopg.Cursor, role: Role) -> None:
    if role.password is None:
        raise AccessNotConfigured(
            f"no password for the role {role.name}: set {role.password_variable}"
        )
    exists = cursor.execute("select from pg_roles where rolname = %s", (role.name,)).fetchone()
    cursor.execute(
        sql.SQL("{verb} role {name} with login {attributes} password {password}").format(
            verb=sql.SQL("alter" if exists is not None else "create"),
            name=sql.Identifier(role.name),
            attributes=sql.SQL(UNPRIVILEGED),
            password=sql.Literal(role.password),
        )
    )


def set_up(superuser: Warehouse, owner_role: Role, reader_role: Role) -> None:
    """Creates or updates both roles, and hands the database and its schemas to the owner.

    Objects an older version of this project created as the superuser are handed over too
    (`_ADOPT_OBJECTS`), so an existing warehouse keeps working under the owner.
    """
    owner_name = sql.Identifier(owner_role.name)
    reader_name = sql.Identifier(reader_role.name)
    with superuser.connect() as connection, connection.cursor() as cursor:
        _create_or_update_role(cursor, owner_role)
        _create_or_update_role(cursor, reader_role)
        for setting, value in (
            ("default_transaction_read_only", "on"),
            ("statement_timeout", statement_timeout()),
        ):
            cursor.execute(
                sql.SQL("alter role {} set {} = {}").format(
                    reader_name, sql.Identifier(setting), sql.Literal(value)
                )
            )
        cursor.execute(
            sql.SQL("grant create, connect, temporary on database {} to {}").format(
                sql.Identifier(superuser.dbname), owner_name
            )
        )
        cursor.execute(
            sql.SQL(_ADOPT_OBJECTS).format(
                owner=sql.Literal(owner_role.name), schemas=sql.Literal(list(SCHEMAS))
            )
        )


# Every schema of the warehouse, and every table, view, sequence, type and function in it,
# owned by the owner role. Partitions and sequences of identity columns follow their table.
_ADOPT_OBJECTS = """
do $$
declare
    target name := {owner};
    item record;
begin
    for item in
        select format('alter schema %I owner to %I', nspname, target) as statement
        from pg_namespace
        where nspname = any({schemas}) and nspowner <> to_regrole(target)
        union all
        select format('alter table %s owner to %I', c.oid::regclass, target)
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = any({schemas})
          and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
          and c.relowner <> to_regrole(target)
          and not exists (
              select from pg_depend as d
              where d.objid = c.oid and d.classid = 'pg_class'::regclass
                and d.deptype in ('a', 'i') and c.relkind = 'S'
          )
        union all
        select format('alter type %s owner to %I', t.oid::regtype, target)
        from pg_type as t
        join pg_namespace as n on n.oid = t.typnamespace
        where n.nspname = any({schemas}) and t.typtype in ('e', 'd')
          and t.typowner <> to_regrole(target)
        union all
        select format('alter routine %s owner to %I', p.oid::regprocedure, target)
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = any({schemas}) and p.proowner <> to_regrole(target)
    loop
        execute item.statement;
    end loop;
end $$
"""


def _setup_fingerprint(superuser: Warehouse, owner_role: Role, reader_role: Role) -> str:
    parts = (SETUP_VERSION, superuser.dbname, statement_timeout())
    for role in (owner_role, reader_role):
        parts += (role.name, role.password or "")
    text = "\n".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()


def owner_of_embedded(superuser: Warehouse) -> Warehouse:
    """The owner's connection to the embedded warehouse, its roles set up on first use (and
    again whenever their names, passwords or this setup change). Called under the start lock."""
    owner_role, reader_role = owner(embedded=True), reader(embedded=True)
    marker = warehouse_dir() / "access_setup"
    fingerprint = _setup_fingerprint(superuser, owner_role, reader_role)
    if not marker.exists() or marker.read_text() != fingerprint:
        set_up(superuser, owner_role, reader_role)
        marker.write_text(fingerprint)
    return Warehouse(
        host=superuser.host,
        port=superuser.port,
        user=owner_role.name,
        password=owner_role.password or "",
        dbname=superuser.dbname,
        embedded=True,
    )
