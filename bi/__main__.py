"""`python -m bi start|stop|provision`: Superset on the configured warehouse (`make bi`)."""

from __future__ import annotations

import argparse
import os
import sys

from bi.bundle import ASSETS
from bi.provision import provision
from bi.server import ADMIN, DEFAULT_PORT, Superset, SupersetFailed, ensure_venv
from ingest import access
from ingest.warehouse import failures_in_one_line, resolve


def _superset() -> Superset:
    return Superset(port=int(os.environ.get("BI_PORT") or DEFAULT_PORT))


def _start() -> None:
    """Installs, initialises, provisions and serves; prints where and how to log in."""
    superset = _superset()
    with failures_in_one_line():  # before minutes of installing Superset for no warehouse
        reader = access.reader_login(resolve())
        reader.connect().close()
    ensure_venv(superset.venv)
    superset.initialise()
    changed = provision(superset, reader)
    print("dashboards imported" if changed else "dashboards already up to date")
    superset.start()
    slugs = sorted(p.stem for p in (ASSETS / "dashboards").glob("*.yaml"))
    print(f"Superset: {superset.url}  login: {ADMIN} / {superset.admin_password}")
    print(f"  (the password is kept in {superset.home}/admin_password)")
    for slug in slugs:
        print(f"  {superset.url}/superset/dashboard/{slug}/")
    print("stop it with: make stop")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bi", description=__doc__)
    parser.add_argument("command", choices=["start", "stop"])
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            _start()
        else:
            stopped = _superset().stop()
            print("Superset stopped" if stopped else "no Superset running")
    except (SupersetFailed, access.AccessNotConfigured) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
