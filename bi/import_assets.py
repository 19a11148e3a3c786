"""Run by Superset's own Python (.bi-venv), not the project's: imports a bundle ZIP with
Superset's ImportAssetsCommand, the command behind POST /api/v1/assets/import/, which
overwrites every asset by its UUID. (`superset import-dashboards` overwrites only the
dashboards: a changed chart or dataset would keep its old definition.)

Usage: .bi-venv/bin/python bi/import_assets.py BUNDLE.zip USERNAME
"""

from __future__ import annotations

import sys
from zipfile import ZipFile


def main(bundle_path: str, username: str) -> None:
    from flask import g
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle

        g.user = security_manager.find_user(username=username)
        with ZipFile(bundle_path) as bundle:
            contents = get_contents_from_bundle(bundle)
        ImportAssetsCommand(contents).run()


if __name__ == "__main__":
    main(*sys.argv[1:])
