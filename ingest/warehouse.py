"""Where the warehouse is: the one place every part (ingest, dbt, Dagster, tests) asks.

With no configuration the warehouse is an embedded PostgreSQL kept under `.warehouse/`
(ingest/embedded.py: started on first use, left running for the next command), reached as
its owner role (ingest/access.py). Setting `WAREHOUSE_URL`, or the
standard libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`), points
everything at that server instead, with no code change.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

import psycopg

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
        """Every name percent-encoded whole (`safe=""`): a password with `/`, `@` or `#` would
        otherwise end the credentials early and name another host or port."""
        credentials = quote(self.user, safe="")
        if password:
            credentials += ":" + quote(password, safe="")
        database = quote(self.dbname, safe="")
        if self.host.startswith("/"):
            return (
                f"{scheme}://{credentials}@{socket_host}/{database}"
                f"?host={quote(self.host)}&port={self.port}"
            )
        return f"{scheme}://{credentials}@{self.host}:{self.port}/{database}"

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
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
            raise WarehouseUnreachable(
                f"cannot connect to the warehouse at {self.url_without_password}: {first_line}"
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
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise SystemExit(f"error: the warehouse failed: {first_line}") from None


def warehouse_dir() -> Path:
    """The embedded warehouse's folder: its data, generated secrets and Dagster home."""
    return Path(os.environ.get("WAREHOUSE_DIR", PROJECT_ROOT / ".warehouse"))


def _is_configured_externally(environ: dict[str, str]) -> bool:
    return bool(environ.get(URL_VARIABLE) or environ.get("PGHOST"))


def _from_url(url: str) -> Warehouse:
    """The URL's parts, or one line saying what is wrong with it (never the URL: a password)."""
    try:
        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        host = query.get("host", [parsed.hostname or "localhost"])[0]
        port = int(query.get("port", [parsed.port or 5432])[0])
    except ValueError as error:
        raise WarehouseUnreachable(
            f"{URL_VARIABLE} is not a URL of a PostgreSQL server ({error}); a password's"
            " @ : / # ? % are percent-encoded in a URL"
        ) from None
    if parsed.scheme not in ("postgresql", "postgres"):
        raise WarehouseUnreachable(
            f"{URL_VARIABLE} must start with postgresql://, not {parsed.scheme or 'no scheme'}"
        )
    return Warehouse(
        host=host,
        port=port,
        user=unquote(parsed.username or os.environ.get("PGUSER", "postgres")),
        password=unquote(parsed.password or ""),
        dbname=unquote(parsed.path.lstrip("/")) or "postgres",
    )


def _from_libpq_env(environ: dict[str, str]) -> Warehouse:
    port = environ.get("PGPORT", "5432")
    if not port.isdigit():
        raise WarehouseUnreachable(f"PGPORT={port!r} is not a port")
    return Warehouse(
        host=environ["PGHOST"],
        port=int(port),
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
        return _from_url(environ[URL_VARIABLE])
    if _is_configured_externally(environ):
        return _from_libpq_env(environ)
    from ingest import embedded  # only needed without configuration

    return embedded.start()
