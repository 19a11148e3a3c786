"""Where the warehouse is, and its secrets: no database run needed (part of `make test-fast`)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ingest.warehouse import SALT_VARIABLE, Warehouse, pii_salt

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
