"""`python -m ingest`: migrate the raw schema, generate sample files, load files, find the DSN."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ingest import generator, loader, migrate, warehouse
from ingest.sources import UnknownSource, source_of, table_for_file, tables_of


def _cmd_migrate(_: argparse.Namespace) -> None:
    applied = migrate.migrate(warehouse.resolve())
    print(f"raw schema up to date ({len(applied)} migration(s) applied)")


def _cmd_dsn(_: argparse.Namespace) -> None:
    print(warehouse.resolve().url)


def _cmd_env(_: argparse.Namespace) -> None:
    for name, value in warehouse.resolve().libpq_env().items():
        print(f"export {name}={shlex.quote(value)}")


def _cmd_stop(_: argparse.Namespace) -> None:
    stopped = warehouse.stop_embedded()
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


def _cmd_load(args: argparse.Namespace) -> None:
    if args.source:
        tables_of(args.source)  # rejects an unknown source before anything is read
    target = warehouse.resolve()
    migrate.migrate(target)
    results = []
    for path in loader.landing_files(args.paths):
        table = args.table or table_for_file(path.name)
        if args.source and source_of(table) != args.source:
            raise loader.LoadError(f"{path.name}: raw.{table} is not a table of {args.source}")
        result = loader.load_file(target, path, args.table)
        print(result.summary())
        results.append(result)
    print(loader.summarize(results))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="create or upgrade the raw schema").set_defaults(
        run=_cmd_migrate
    )
    commands.add_parser(
        "dsn", help="print the connection string for psql or a BI tool"
    ).set_defaults(run=_cmd_dsn)
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
    load.set_defaults(run=_cmd_load)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (loader.LoadError, UnknownSource, warehouse.WarehouseUnreachable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
