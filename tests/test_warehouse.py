"""Where the warehouse is, and its secrets: no database run needed (part of `make test-fast`)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.warehouse import (
    PROJECT_ROOT,
    SALT_VARIABLE,
    URL_VARIABLE,
    Warehouse,
    WarehouseUnreachable,
    pii_salt,
    resolve,
)

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


UNREACHABLE = "postgresql://nobody:s3cret-pw@127.0.0.1:9/x"  # nothing listens on port 9
UNREACHABLE_SHOWN = "postgresql://nobody@127.0.0.1:9/x"


@pytest.mark.parametrize(
    "command",
    [
        ("ingest", "load", "nothing.csv"),
        ("orchestration.ui",),
        ("orchestration.demo", "--events", "10", "--days", "1"),
    ],
    ids=["ingest", "make ui", "make demo"],
)
def test_an_unreachable_warehouse_is_one_line_without_its_password(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        env={**os.environ, URL_VARIABLE: UNREACHABLE, "WAREHOUSE_DIR": str(tmp_path)},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: cannot connect to the warehouse at {UNREACHABLE_SHOWN}")
    assert "s3cret" not in result.stdout + result.stderr
    assert not list(tmp_path.rglob("demo-*")), "the demo generated events for no warehouse"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({URL_VARIABLE: "postgresql://u:a/b@db:5432/x"}, "WAREHOUSE_URL is not a URL of a Po"),
        ({URL_VARIABLE: "postgresql://u:p@[::1/x"}, "WAREHOUSE_URL is not a URL of a Po"),
        ({URL_VARIABLE: "mysql://u:p@db/x"}, "WAREHOUSE_URL must start with postgresql://, not"),
        ({"PGHOST": "db", "PGPORT": "five"}, "PGPORT='five' is not a port"),
    ],
)
def test_a_malformed_setting_is_named_without_its_password(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(WarehouseUnreachable) as refused:
        resolve(environ)
    assert str(refused.value).startswith(message)
    assert ":p@" not in str(refused.value) and "a/b" not in str(refused.value)
