"""Least privilege: the owner role that loads and builds, the reader role BI tools log in as,
and the embedded server's TCP listener with password authentication (real server, real roles).
What the reader may read of built marts is in tests/registry/test_marts.py."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest
import sqlalchemy
from psycopg import sql

from ingest import access, embedded, migrate
from ingest.warehouse import (
    PROJECT_ROOT,
    URL_VARIABLE,
    Warehouse,
    WarehouseUnreachable,
    resolve,
)
from orchestration.lib.expectations import Expectation, Suite, validate
from tests.databases import administrator


def _refusal(warehouse: Warehouse, statement: str, read_write: bool = False) -> str:
    """The first line of the error the statement gets; fails the test if it succeeds. With
    read_write, the session first turns the reader's read-only default off, as it may."""
    with warehouse.connect(autocommit=True) as connection:
        if read_write:
            connection.execute("set default_transaction_read_only = off")
        try:
            connection.execute(statement)
        except psycopg.Error as error:
            return str(error).splitlines()[0]
    raise AssertionError(f"{warehouse.user} was allowed to run: {statement}")


def _cli(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def reader(warehouse: Warehouse) -> Iterator[Warehouse]:
    """The reader's login to a migrated database of its own, over TCP when embedded."""
    yield access.reader_login(warehouse)


def test_ingest_dbt_and_dagster_connect_as_an_owner_that_is_not_a_superuser(
    warehouse: Warehouse,
) -> None:
    assert warehouse.user == access.owner(warehouse.embedded).name
    with warehouse.connect() as connection:
        superuser, create_role, create_db = connection.execute(
            "select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user"
        ).fetchone()
        owners = connection.execute(
            "select distinct pg_get_userbyid(relowner) from pg_class"
            " where relnamespace = 'raw'::regnamespace"
        ).fetchall()
    assert (superuser, create_role, create_db) == (False, False, False)
    assert owners == [(warehouse.user,)], "the migrations ran as the owner"
    assert "permission denied" in _refusal(warehouse, "copy (select 1) to program 'true'")
    assert "permission denied" in _refusal(warehouse, "select pg_read_file('PG_VERSION')")


def test_the_reader_may_not_touch_raw_or_write_anywhere(reader: Warehouse) -> None:
    assert "permission denied for schema raw" in _refusal(reader, "select * from raw._loads")
    assert "read-only transaction" in _refusal(reader, "create table public.mine (x int)")
    for statement in (
        "drop table raw._loads",
        "create table public.mine (x int)",
        "create schema mine",
        "copy (select 1) to program 'true'",
        "select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid()",
    ):
        refusal = _refusal(reader, statement, read_write=True)
        assert "permission denied" in refusal or "must be" in refusal, (statement, refusal)
    with reader.connect() as connection:
        settings = connection.execute(
            "select current_setting('default_transaction_read_only'),"
            " current_setting('statement_timeout')"
        ).fetchone()
    assert settings == ("on", "1min")


def test_tcp_asks_every_role_for_its_password(warehouse: Warehouse, reader: Warehouse) -> None:
    if not warehouse.embedded:
        pytest.skip("TCP and authentication of a configured server are its deployer's")
    assert reader.host == embedded.LISTEN_ADDRESS
    with reader.connect() as connection:
        assert connection.execute("select current_user").fetchone() == (reader.user,)
    for login in (
        replace(reader, password="not-the-password"),
        replace(reader, user=embedded.SUPERUSER, password=""),
        replace(reader, user=embedded.SUPERUSER, password="postgres"),
    ):
        with pytest.raises(Exception, match="password"):
            login.connect().close()


def test_make_dsn_prints_the_readers_login_and_dsn_owner_the_owners() -> None:
    reader_url, owner_url = _cli("dsn"), _cli("dsn", "--owner")
    with psycopg.connect(reader_url) as connection:
        user, read_only = connection.execute(
            "select current_user, current_setting('default_transaction_read_only')"
        ).fetchone()
    assert (user, read_only) == (access.reader(embedded=True).name, "on")
    with psycopg.connect(owner_url) as connection:
        assert connection.execute("select current_user").fetchone() == (
            access.owner(embedded=True).name,
        )
    assert "127.0.0.1" in reader_url, "BI tools that speak only TCP can use it"


def test_objects_an_older_version_made_as_superuser_are_handed_to_the_owner(
    empty_warehouse: Warehouse,
) -> None:
    admin = administrator(empty_warehouse).with_database(empty_warehouse.dbname)
    with admin.connect() as connection:
        connection.execute(
            "create schema marts; create table marts.old (x int);"
            " create type marts.mood as enum ('ok');"
            " create table marts.counter (id bigint generated always as identity);"
            " create function marts.one() returns int language sql as 'select 1'"
        )
    access.set_up(admin, access.owner(True), access.reader(True))
    with empty_warehouse.connect() as connection:
        owners = connection.execute(
            """
            select distinct owner from (
                select pg_get_userbyid(nspowner) as owner from pg_namespace
                where nspname = 'marts'
                union all
                select pg_get_userbyid(relowner) from pg_class
                where relnamespace = 'marts'::regnamespace
                union all
                select pg_get_userbyid(typowner) from pg_type
                where typnamespace = 'marts'::regnamespace
                union all
                select pg_get_userbyid(proowner) from pg_proc
                where pronamespace = 'marts'::regnamespace
            ) as owners
            """
        ).fetchall()
        connection.execute("drop table marts.old")
    assert owners == [(empty_warehouse.user,)]


# Every character a URL gives a meaning to, and a config substitution GX would expand.
HOSTILE_PASSWORD = "p@ss/w:rd#?&%=${HOME} é+"


@pytest.fixture
def hostile_login(warehouse: Warehouse) -> Iterator[Warehouse]:
    """A login role of its own whose password is HOSTILE_PASSWORD, over TCP."""
    if not warehouse.embedded:
        pytest.skip("making login roles on a configured server is its deployer's")
    name = f"hostile_{uuid.uuid4().hex[:8]}"
    admin = administrator(warehouse)
    with admin.connect(autocommit=True) as connection:
        connection.execute(
            sql.SQL("create role {} login password {}").format(
                sql.Identifier(name), sql.Literal(HOSTILE_PASSWORD)
            )
        )
    try:
        yield replace(embedded.over_tcp(warehouse), user=name, password=HOSTILE_PASSWORD)
    finally:
        with admin.connect(autocommit=True) as connection:
            connection.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def _backends_left(warehouse: Warehouse, user: str) -> int:
    """The user's server backends once closed ones have had 10 s to exit (a backend leaves
    pg_stat_activity a moment after its client closed the connection)."""
    deadline = time.monotonic() + 10
    with warehouse.connect(autocommit=True) as connection:
        while True:
            row = connection.execute(
                "select count(*) from pg_stat_activity where usename = %s", (user,)
            ).fetchone()
            count = row[0] if row else 0
            if count == 0 or time.monotonic() > deadline:
                return count
            time.sleep(0.1)


def test_a_password_of_any_characters_logs_in_through_each_url_and_is_never_printed(
    warehouse: Warehouse, hostile_login: Warehouse
) -> None:
    """`make dsn`, Superset and GX take the login as a URL; `make ui` and connection errors
    print it, without the password."""
    with psycopg.connect(hostile_login.url) as connection:
        assert connection.execute("select current_user").fetchone() == (hostile_login.user,)
    engine = sqlalchemy.create_engine(hostile_login.sqlalchemy_url)
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("select current_user")).scalar() == (
            hostile_login.user
        )
    engine.dispose()
    socket_login = replace(hostile_login, host=warehouse.host, port=warehouse.port)
    for login in (hostile_login, socket_login):
        assert resolve({URL_VARIABLE: login.url}) == replace(login, embedded=False)
        parsed = sqlalchemy.engine.make_url(login.sqlalchemy_url)
        assert (parsed.username, parsed.password) == (login.user, HOSTILE_PASSWORD)
        assert parsed.query.get("host", parsed.host) == login.host
        with pytest.raises(WarehouseUnreachable) as refused:
            replace(login, host=embedded.LISTEN_ADDRESS, port=9).connect()
        assert f"{login.user}@{embedded.LISTEN_ADDRESS}:9/" in str(refused.value)
        shown = f"{login.url_without_password} {login!r} {refused.value}"
        assert HOSTILE_PASSWORD not in shown + urllib.parse.unquote(shown)

    suite = Suite(
        name="any_password",
        model="none",
        query="select 1 as one",
        expectations=(Expectation("ExpectColumnValuesToNotBeNull", {"column": "one"}),),
        description="a query any login may run",
    )
    assert _backends_left(warehouse, hostile_login.user) == 0
    assert validate(hostile_login, suite).passed
    assert _backends_left(warehouse, hostile_login.user) == 0, "GX left its connections open"


def test_a_login_that_may_not_migrate_is_told_why(hostile_login: Warehouse) -> None:
    """The migration's own error, not the one of the lock's release after it."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        migrate.migrate(hostile_login)
