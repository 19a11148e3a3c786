"""`make ui`: the Dagster UI (webserver and daemon) on the same warehouse as everything else.

Started from a non-interactive shell, `dagster dev` inherits ignored SIGINT/SIGTERM and can
then only be killed (STACK_NOTES); restoring the default handlers before exec makes Ctrl-C and
SIGTERM stop it cleanly.
"""

import os
import signal
import sys
from pathlib import Path

from ingest import migrate
from ingest.warehouse import PROJECT_ROOT, failures_in_one_line, resolve
from orchestration.lib.instance import dagster_home
from orchestration.lib.settings import engine_from_env


def main() -> None:
    try:
        engine_from_env()  # a wrong engine stops here, not as a code location error in the UI
    except ValueError as error:
        raise SystemExit(f"error: {error}") from error
    with failures_in_one_line():
        warehouse = resolve()  # starts the embedded server before the UI needs it
        migrate.migrate(warehouse)
    dagster_home()
    host = os.environ.get("DAGSTER_UI_HOST", "127.0.0.1")
    port = os.environ.get("DAGSTER_UI_PORT", "3000")
    where = warehouse.url_without_password
    print(f"Dagster UI: http://{host}:{port}  (warehouse: {where})", flush=True)
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, signal.SIG_DFL)
    dagster = str(Path(sys.executable).parent / "dagster")
    os.chdir(PROJECT_ROOT)
    os.execv(dagster, [dagster, "dev", "-w", "workspace.yaml", "-h", host, "-p", port])


if __name__ == "__main__":
    main()
