"""Provisioning: the bundle (bi/bundle.py) imported into a Superset instance, idempotently.

Superset's assets import overwrites each asset by its UUID, so importing twice never
duplicates; a bundle identical to the last one imported is not imported again at all, so a second
`make bi` changes nothing. The ZIP holds the reader's password only for the import.
"""

from __future__ import annotations

from bi.bundle import bundle_files, write_zip
from bi.server import ADMIN, BI_DIR, Superset
from ingest.warehouse import Warehouse

IMPORT_SCRIPT = BI_DIR / "import_assets.py"


def provision(superset: Superset, reader: Warehouse) -> bool:
    """Imports the dashboards, charts, datasets and the database; False if already done."""
    stamp = superset.home / "provisioned.sha256"
    archive = superset.home / "bundle.zip"
    digest = write_zip(bundle_files(reader), archive)
    try:
        if stamp.exists() and stamp.read_text() == digest:
            return False
        superset.run_script(IMPORT_SCRIPT, str(archive), ADMIN)
    finally:
        archive.unlink()
    stamp.write_text(digest)
    return True
