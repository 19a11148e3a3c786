"""Superset's configuration for `make bi` (read by Superset through SUPERSET_CONFIG_PATH).

Everything that is a secret or state lives in BI_HOME (default .warehouse/bi/, made by
`python -m bi`): the SECRET_KEY generated there on first start, never a constant in the
repository, and the metadata database (SQLite). The warehouse connection itself is no part of
this file: provisioning imports it from the reader's DSN (bi/provision.py).
"""

from __future__ import annotations

import os
from pathlib import Path

BI_HOME = Path(os.environ["BI_HOME"])

SECRET_KEY = (BI_HOME / "secret_key").read_text().strip()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{BI_HOME / 'superset.db'}?check_same_thread=false"
DATA_DIR = str(BI_HOME / "data")

# One local instance for a data team's laptop or a test: no example data, no telemetry, no
# CSRF-less API access; the UI as shipped.
SUPERSET_WEBSERVER_ADDRESS = "127.0.0.1"
SUPERSET_WEBSERVER_PORT = int(os.environ.get("BI_PORT", "8088"))
SQLALCHEMY_EXAMPLES_URI = None
SHOW_STACKTRACE = False
# The dashboards are read-only views of the marts: results are cached only briefly, so a
# rebuild of the marts shows within a minute.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 60}
DATA_CACHE_CONFIG = CACHE_CONFIG
# The SQLite metadata database is not for concurrent writers; no async queries, no Celery.
FEATURE_FLAGS = {"DASHBOARD_RBAC": False}
