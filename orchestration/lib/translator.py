"""How dbt nodes appear in Dagster: raw sources keyed raw/<table> (lake/<table> when the
models build on Spark, which reads the Parquet copy of the raw tables); groups and owners from dbt's
groups (models/_groups.yml): a model's group is its dbt group, a raw table's the group named
for its source, and each group's owner is the dbt group's owner. No owner mapping here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

SHARED_GROUP = "warehouse"


def group_owners(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Each dbt group's owner as Dagster names owners: the email, else `team:<name>`."""
    owners = {}
    for group in manifest.get("groups", {}).values():
        owner = group.get("owner") or {}
        if owner.get("email"):
            owners[group["name"]] = owner["email"]
        elif owner.get("name"):
            owners[group["name"]] = f"team:{owner['name']}"
    return owners


class WarehouseTranslator(DagsterDbtTranslator):
    def __init__(
        self, owners: Mapping[str, str], default_owner: str, source_prefix: str = "raw"
    ) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self.owners = dict(owners)
        self.default_owner = default_owner
        self.source_prefix = source_prefix

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([self.source_prefix, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The dbt group (one per source system); a raw table's is its source's."""
        if dbt_resource_props["resource_type"] == "source":
            return dbt_resource_props["source_name"]
        return dbt_resource_props.get("config", {}).get("group") or SHARED_GROUP

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [self.owners.get(self.get_group_name(dbt_resource_props), self.default_owner)]
