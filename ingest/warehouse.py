"""Where the warehouse is: the one place every part (ingest, dbt, Dagster, tests) asks.

With no configuration the warehouse is an embedded PostgreSQL kept under `.warehouse/`
(ingest/embedded.py: started on first use, left running for the next command), reached as
its owner role (ingest/access.py). Setting `WAREHOUSE_URL`, or the
standard libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`), points
everything at that server instead, with no code change.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
URL_VARIABLE = "WAREHOUSE_URL"
# The salt of the hashed IP addresses (staging's salted_hash): a secret, never a constant.
SALT_VARIABLE = "WAREHOUSE_PII_SALT"
SALT_FILE = "pii_salt"
LIBPQ_VARIABLES = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


class WarehouseUnreachable(RuntimeError):
    """The configured PostgreSQL server did not accept a connection."""


@dataclass(frozen=True)
class Warehouse:
    """Connection parameters of one PostgreSQL database, in libpq terms."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str
    embedded: bool = False

    @property
    def url(self) -> str:
        """The URL a BI tool or psql takes; socket folders go in the `host` query parameter."""
        return self._url("postgresql", self.password)

    @property
    def url_without_password(self) -> str:
        """The same URL for messages and logs, where a password must not appear."""
        return self._url("postgresql", "")

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for SQLAlchemy's psycopg2 dialect (GX, Superset). A socket folder needs a
        dummy `localhost` that the `host` parameter overrides: GX rejects a URL without a host."""
        return self._url("postgresql+psycopg2", self.password, socket_host="localhost")

    def _url(self, scheme: str, password: str, socket_host: str = "") -> str:
        """Every part percent-encoded whole (`safe=""`): a password with `/`, `@` or `#` would
        otherwise end the credentials early and name another host or port."""
        credentials = quote(self.user, safe="")
        if password:
            credentials += ":" + quote(password, safe="")
        database = quote(self.dbname, safe="")
        if self.host.startswith("/"):
            socket = f"host={quote(self.host, safe='/')}&port={self.port}"
            return f"{scheme}://{credentials}@{socket_host}/{database}?{socket}"
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"{scheme}://{credentials}@{host}:{self.port}/{database}"

    def libpq_env(self) -> dict[str, str]:
        """The PG* variables that make dbt (profiles.example.yml) and psql use this database."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.dbname,
        }

    def dbt_env(self) -> dict[str, str]:
        """What a dbt process building this warehouse needs: the PG* variables, and the salt of
        the hashed IP addresses when there is one (staging refuses to build without)."""
        salt = pii_salt(self)
        return {**self.libpq_env(), **({SALT_VARIABLE: salt} if salt else {})}

    def with_database(self, dbname: str) -> Warehouse:
        return replace(self, dbname=dbname)

    def connect(self, **kwargs: object) -> psycopg.Connection:
        try:
            return psycopg.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password or None,
                dbname=self.dbname,
                connect_timeout=10,
                **kwargs,
            )
        except psycopg.OperationalError as error:
            raise WarehouseUnreachable(
                f"cannot connect to the warehouse at {self.url_without_password}:"
                f" {first_line(error)}"
            ) from error

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor]:
        """A cursor in one transaction, committed when the block ends without an error."""
        with self.connect() as connection, connection.cursor() as cursor:
            yield cursor


@contextmanager
def failures_in_one_line() -> Iterator[None]:
    """For commands other than the ingest CLI (which reports these itself): a warehouse that
    is misconfigured, unreachable or refusing ends the command with one `error:` line."""
    try:
        yield
    except WarehouseUnreachable as error:
        raise SystemExit(f"error: {error}") from None
    except psycopg.Error as error:
        raise SystemExit(f"error: the warehouse failed: {first_line(error)}") from None


def first_line(error: BaseException) -> str:
    """An error's first line for a one-line report (psycopg's messages run to three), or
    its type when it has no text."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def warehouse_dir() -> Path:
    """The embedded warehouse's folder: its data, generated secrets and Dagster home."""
    return Path(os.environ.get("WAREHOUSE_DIR", PROJECT_ROOT / ".warehouse"))


def _is_configured_externally(environ: dict[str, str]) -> bool:
    return bool(environ.get(URL_VARIABLE) or environ.get("PGHOST"))


URL_PARTS = ("host", "port", "user", "password", "dbname")


def _from_url(url: str, environ: dict[str, str]) -> Warehouse:
    """The URL's parts as libpq (psql) reads them, or one line saying what is wrong with it,
    never the URL or a piece of it: it holds a password."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise WarehouseUnreachable(f"{URL_VARIABLE} must start with postgresql://")
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise WarehouseUnreachable(
            f"{URL_VARIABLE} is not a URL libpq can read; percent-encode a password's"
            " @ : / # ? % characters"
        ) from None
    others = sorted(set(parts) - set(URL_PARTS))
    if others:
        raise WarehouseUnreachable(
            f"{URL_VARIABLE} takes no parameter {', '.join(others)}: set it as a libpq variable"
            " (e.g. PGSSLMODE), which every connection of the warehouse reads"
        )
    return Warehouse(
        host=str(parts.get("host") or "localhost"),
        port=_port(URL_VARIABLE, str(parts.get("port") or "5432")),
        user=str(parts.get("user") or environ.get("PGUSER", "postgres")),
        password=str(parts.get("password") or ""),
        dbname=str(parts.get("dbname") or "postgres"),
    )


def _port(variable: str, value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", value) or not 0 < int(value) < 65536:
        raise WarehouseUnreachable(
            f"{variable} names no port (a password's @ : / # ? % must be percent-encoded)"
            if variable == URL_VARIABLE
            else f"{variable}={value!r} is not a port"
        )
    return int(value)


def _from_libpq_env(environ: dict[str, str]) -> Warehouse:
    return Warehouse(
        host=environ["PGHOST"],
        port=_port("PGPORT", environ.get("PGPORT", "5432")),
        user=environ.get("PGUSER", "postgres"),
        password=environ.get("PGPASSWORD", ""),
        dbname=environ.get("PGDATABASE", "postgres"),
    )


def embedded_secret(name: str) -> str:
    """A random secret of the embedded warehouse, made once and kept in its folder, readable
    by its owner only; the first of two processes making it at once wins."""
    path = warehouse_dir() / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{name}.{os.getpid()}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def pii_salt(warehouse: Warehouse) -> str | None:
    """WAREHOUSE_PII_SALT; with none set, the embedded warehouse's own salt. A configured
    server has none: its deployment sets one, and staging refuses to build until it does."""
    if os.environ.get(SALT_VARIABLE):
        return os.environ[SALT_VARIABLE]
    return embedded_secret(SALT_FILE) if warehouse.embedded else None


def resolve(environ: dict[str, str] | None = None) -> Warehouse:
    """The warehouse this process should use, decided only by the environment."""
    environ = dict(os.environ if environ is None else environ)
    if environ.get(URL_VARIABLE):
        return _from_url(environ[URL_VARIABLE], environ)
    if _is_configured_externally(environ):
        return _from_libpq_env(environ)
    from ingest import embedded  # only needed without configuration

    return embedded.start()
