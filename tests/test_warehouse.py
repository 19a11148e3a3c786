"""Where the warehouse is, and its secrets: no database run needed (part of `make test-fast`)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy

from ingest.warehouse import (
    PROJECT_ROOT,
    SALT_VARIABLE,
    URL_VARIABLE,
    Warehouse,
    WarehouseUnreachable,
    pii_salt,
    resolve,
)
from tests.browser import free_port

EMBEDDED = Warehouse("/socket/folder", 5432, "postgres", "", "postgres", embedded=True)
CONFIGURED = Warehouse("db.example.com", 5432, "owner", "secret", "warehouse")


@pytest.fixture
def warehouse_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.delenv(SALT_VARIABLE, raising=False)
    return tmp_path


def test_the_embedded_warehouse_makes_its_salt_once_and_keeps_it_private(
    warehouse_dir: Path,
) -> None:
    salt = pii_salt(EMBEDDED)
    assert salt and len(salt) == 64 and int(salt, 16)
    path = warehouse_dir / "pii_salt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pii_salt(EMBEDDED) == salt, "made once, then kept"
    assert EMBEDDED.dbt_env()[SALT_VARIABLE] == salt
    assert list(warehouse_dir.iterdir()) == [path], "no draft left behind"


def test_two_embedded_warehouses_get_different_salts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SALT_VARIABLE, raising=False)
    salts = set()
    for name in ("one", "two"):
        monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / name))
        salts.add(pii_salt(EMBEDDED))
    assert len(salts) == 2


def test_a_configured_server_has_the_salt_its_deployment_sets(
    warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pii_salt(CONFIGURED) is None
    assert SALT_VARIABLE not in CONFIGURED.dbt_env()
    monkeypatch.setenv(SALT_VARIABLE, "from-the-deployment")
    assert pii_salt(CONFIGURED) == "from-the-deployment"
    assert pii_salt(EMBEDDED) == "from-the-deployment", "the variable wins everywhere"
    assert not (warehouse_dir / "pii_salt").exists()


@pytest.mark.parametrize(
    ("command", "login"),
    [
        (("ingest", "load", "nothing.csv"), "nobody"),
        (("orchestration.ui",), "nobody"),
        (("orchestration.demo", "--events", "10", "--days", "1"), "nobody"),
        (("bi", "start"), "warehouse_reader"),  # checked before Superset is installed
    ],
    ids=["ingest", "make ui", "make demo", "make bi"],
)
def test_an_unreachable_warehouse_is_one_line_without_its_password(
    command: tuple[str, ...], login: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens on it
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "PG"))}
    result = subprocess.run(
        [sys.executable, "-m", *command],
        env={
            **environ,
            URL_VARIABLE: f"postgresql://nobody:s3cret-pw@127.0.0.1:{port}/x",
            "WAREHOUSE_READER_PASSWORD": "s3cret-reader",
            "WAREHOUSE_DIR": str(tmp_path),
        },
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    shown = f"postgresql://{login}@127.0.0.1:{port}/x"
    assert line.startswith(f"error: cannot connect to the warehouse at {shown}: "), line
    assert "s3cret" not in result.stdout + result.stderr
    assert "installing Superset" not in result.stdout
    assert not list(tmp_path.rglob("demo-*")), "the demo generated events for no warehouse"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({URL_VARIABLE: "postgresql://app:secretpw/x@db/x"}, "WAREHOUSE_URL names no port"),
        ({URL_VARIABLE: "postgresql://u:secretpw@[::1/x"}, "WAREHOUSE_URL is not a URL libpq"),
        ({URL_VARIABLE: "mysql://u:secretpw@db/x"}, "WAREHOUSE_URL must start with postgresql://"),
        (
            {URL_VARIABLE: "postgresql://u:secretpw@db/x?sslmode=verify-full"},
            "WAREHOUSE_URL takes no parameter sslmode: set it as a libpq variable",
        ),
        ({"PGHOST": "db", "PGPORT": "five", "PGPASSWORD": "secretpw"}, "PGPORT='five' is not"),
        ({"PGHOST": "db", "PGPORT": "\u00b2", "PGPASSWORD": "secretpw"}, "PGPORT='\u00b2' is not"),
    ],
)
def test_a_malformed_setting_is_named_without_its_password(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(WarehouseUnreachable) as refused:
        resolve(environ)
    assert str(refused.value).startswith(message)
    assert "secretpw" not in str(refused.value)


@pytest.mark.parametrize(
    "login",
    [
        Warehouse("db.example.com", 5432, "owner", "p@ss/w:rd#?&%=${HOME} é+", "the db/x?"),
        Warehouse("::1", 6543, "o w@n", "", "warehouse"),
        Warehouse("/run/a socket+folder", 5432, "owner", "pw", "warehouse"),
    ],
    ids=["odd names", "IPv6", "socket folder"],
)
def test_every_url_of_a_login_reads_back_as_the_same_login(login: Warehouse) -> None:
    """libpq's reading (psql's, ours) of `url`; SQLAlchemy's (GX's) of `sqlalchemy_url`."""
    configured = replace(login, embedded=False)
    assert resolve({URL_VARIABLE: login.url}) == configured
    assert resolve({URL_VARIABLE: login.url_without_password}) == replace(configured, password="")
    read = sqlalchemy.engine.make_url(login.sqlalchemy_url)
    assert (read.username, read.password or "") == (login.user, login.password)
    assert read.database == login.dbname
    assert read.query.get("host", read.host) == login.host
    assert int(read.query.get("port", read.port)) == login.port
