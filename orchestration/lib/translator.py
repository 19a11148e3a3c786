"""How dbt nodes appear in Dagster: raw sources keyed raw/<table>, groups and owners by source
system (a model's source is its folder: models/<layer>/<source>/)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

SHARED_GROUP = "warehouse"


class WarehouseTranslator(DagsterDbtTranslator):
    def __init__(self, owners: Mapping[str, str], default_owner: str) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self.owners = dict(owners)
        self.default_owner = default_owner

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The source system: models live in <layer>/<source>/, sources are named for it."""
        if dbt_resource_props["resource_type"] == "source":
            return dbt_resource_props["source_name"]
        fqn = dbt_resource_props["fqn"]
        return fqn[2] if len(fqn) > 3 else SHARED_GROUP

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [self.owners.get(self.get_group_name(dbt_resource_props), self.default_owner)]
