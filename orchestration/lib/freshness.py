"""Freshness as current Dagster declares it: a FreshnessPolicy on each asset (no freshness
checks, no sensor for them; both are superseded in Dagster 1.12+ and warn), and raw tables
whose last update is the load ledger's, whoever loaded them.

The limits have one definition: the `freshness` (warn_after, error_after) of each source in
its dbt YAML (models/staging/<source>/_<source>__sources.yml), which `dbt source freshness`
checks against the same ledger (loaded_at_query, macros/sql/last_load.sql). Dagster reads them
from the manifest.

- Raw tables: warn past warn_after, fail past error_after since their last load; a table
  whose freshness is null (a catalog) has no policy.
- A source's daily models: partition runs are nightly (00:05 UTC), so each must have been
  materialized within its source's largest error_after before the day's deadline (02:00
  UTC). Dagster's policies are evaluated per asset, not per partition (the partition-aware
  freshness check is superseded too); a late-data restatement of an old day also counts as
  an update.
- A file loaded outside Dagster (`python -m ingest load`) is a row of raw._loads and nothing
  in Dagster: the load-ledger sensor reports each such load as a materialization of its raw
  table, so raw freshness follows every load.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dagster as dg

from orchestration.lib.resources import WarehouseResource

DAILY_DEADLINE_CRON = "0 2 * * *"
LEDGER_SENSOR = "load_ledger_sensor"

NEW_LOADS = """
    select load_id, table_name, file_name, rows_loaded, extract(epoch from finished_at)
    from raw._loads
    where load_id > %(after)s
    order by load_id
"""


PERIODS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class FreshnessLimits:
    """A raw table's limits as its dbt source declares them (None: not declared)."""

    source: str
    warn_after: timedelta | None
    error_after: timedelta | None


def _after(declared: Mapping[str, Any] | None) -> timedelta | None:
    if not declared or declared.get("count") is None or declared.get("period") is None:
        return None
    return int(declared["count"]) * PERIODS[declared["period"]]


def declared_freshness(manifest: Mapping[str, Any]) -> dict[str, FreshnessLimits]:
    """Per raw table (by name), the freshness its dbt source declares; tables without any
    limit are left out."""
    limits = {}
    for node in manifest["sources"].values():
        freshness = node.get("freshness") or {}
        warn, error = _after(freshness.get("warn_after")), _after(freshness.get("error_after"))
        if warn or error:
            limits[node["name"]] = FreshnessLimits(node["source_name"], warn, error)
    return limits


def raw_freshness(limits: FreshnessLimits) -> dg.FreshnessPolicy:
    """Fails past error_after, warns past warn_after (either alone: fails past it)."""
    fail = limits.error_after or limits.warn_after
    assert fail is not None  # declared_freshness keeps tables with a limit only
    warn = limits.warn_after if limits.error_after and limits.warn_after else None
    return dg.FreshnessPolicy.time_window(fail_window=fail, warn_window=warn)


def source_model_limit(limits: Mapping[str, FreshnessLimits], source: str) -> timedelta | None:
    """How stale a source's models may be: the largest error_after of its raw tables."""
    afters = [
        limit.error_after or limit.warn_after for limit in limits.values() if limit.source == source
    ]
    return max((after for after in afters if after), default=None)


def daily_model_freshness(limit: timedelta) -> dg.FreshnessPolicy:
    """Materialized within `limit` before the daily deadline (Dagster caps it at one day)."""
    return dg.FreshnessPolicy.cron(
        deadline_cron=DAILY_DEADLINE_CRON, lower_bound_delta=min(limit, timedelta(days=1))
    )


def intraday_model_freshness(refresh_every: timedelta) -> dg.FreshnessPolicy:
    """Materialized within two refresh intervals (a refresh every 5 minutes: fails past 10)."""
    return dg.FreshnessPolicy.time_window(fail_window=2 * refresh_every)


def with_freshness(assets: dg.AssetsDefinition, policy: dg.FreshnessPolicy) -> dg.AssetsDefinition:
    """The same assets, each with the policy."""
    return assets.map_asset_specs(lambda spec: spec.replace_attributes(freshness_policy=policy))


def build_load_ledger_sensor(raw_keys: Iterable[dg.AssetKey]) -> dg.SensorDefinition:
    """Reports loads of raw._loads newer than their table's last materialization in Dagster
    (the load job's own loads are older than the materialization it records afterwards)."""
    known = {key.path[-1]: key for key in raw_keys}

    @dg.sensor(
        name=LEDGER_SENSOR, minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Observes the load ledger raw._loads: a file loaded outside Dagster (the loader's"
            " CLI) becomes a materialization of its raw table, so raw freshness follows it."
        ),
    )  # fmt: skip
    def load_ledger_sensor(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource
    ) -> dg.SensorResult | dg.SkipReason:
        with warehouse.get().cursor() as db:
            if db.execute("select to_regclass('raw._loads')").fetchone()[0] is None:
                return dg.SkipReason("the raw schema is not migrated yet")
            rows = db.execute(NEW_LOADS, {"after": int(context.cursor or 0)}).fetchall()
        if not rows:
            return dg.SkipReason("no loads since the last tick")
        loads: dict[str, list[tuple[int, str, int, float]]] = defaultdict(list)
        for load_id, table, file_name, rows_loaded, finished in rows:
            if table in known:
                loads[table].append((load_id, file_name, rows_loaded, float(finished)))
        events = []
        for table, table_loads in sorted(loads.items()):
            last = context.instance.get_latest_materialization_event(known[table])
            since = last.timestamp if last else 0.0
            outside = [load for load in table_loads if load[3] > since]
            if outside:
                events.append(
                    dg.AssetMaterialization(
                        asset_key=known[table],
                        description="Loaded outside Dagster (observed in raw._loads).",
                        metadata={
                            "load_ids": dg.MetadataValue.json([load[0] for load in outside]),
                            "files": dg.MetadataValue.json([load[1] for load in outside]),
                            "rows_loaded": sum(load[2] for load in outside),
                        },
                    )
                )
        return dg.SensorResult(asset_events=events, cursor=str(rows[-1][0]))

    return load_ledger_sensor
