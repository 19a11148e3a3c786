"""Retention of raw event tables: whole month partitions older than a source's limit are
dropped, never rows one by one (a DROP of a partition is instant and leaves no dead rows).

A source declares its rules (orchestration/defs/<source>.py: `Retention`): which raw table,
how many days it keeps, and the environment variable that overrides the days. The machinery
makes one asset per source with rules, `<source>_raw_retention`, its check
`<source>_raw_retention_respected` (no partition wholly older than the limit remains), a job
and a daily schedule. A partition is dropped only once its whole month is older than the
limit, so up to a month more than the limit stays. Marts keep their history: nothing
downstream is rebuilt by a drop (the ledger records loads, not drops), and incremental runs
read only their window. What staging copied stays in staging.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg
from psycopg import sql

from ingest.warehouse import Warehouse
from orchestration.lib.dbt import WAREHOUSE_POOL
from orchestration.lib.resources import WarehouseResource

PARTITION_BOUNDS = """
select child.relname as partition_name,
       (regexp_match(pg_get_expr(child.relpartbound, child.oid), 'TO \\(''([^'']+)''\\)'))[1]
           ::timestamptz as upper_bound
from pg_inherits as inheritance
join pg_class as child on child.oid = inheritance.inhrelid
where inheritance.inhparent = %(table)s::regclass
  and not pg_get_expr(child.relpartbound, child.oid) = 'DEFAULT'
order by upper_bound
"""


@dataclass(frozen=True)
class Retention:
    """Keep `default_days` days of raw.<table> (by its partition key), or the number of days
    in the environment variable `setting` when it is set."""

    table: str
    default_days: int
    setting: str

    def days(self) -> int:
        value = os.environ.get(self.setting, "").strip()
        days = int(value) if value else self.default_days
        if days < 1:
            raise ValueError(f"{self.setting} must be a positive number of days, not {value!r}")
        return days

    def cutoff(self, now: datetime) -> datetime:
        """Rows before this moment are past the limit (UTC midnight, `days` days ago)."""
        today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return today - timedelta(days=self.days())


def expired_partitions(warehouse: Warehouse, rule: Retention, now: datetime) -> list[str]:
    """The month partitions of the rule's table that hold nothing newer than its cutoff."""
    with warehouse.cursor() as cursor:
        rows = cursor.execute(PARTITION_BOUNDS, {"table": f'raw."{rule.table}"'}).fetchall()
    return [name for name, upper in rows if upper is not None and upper <= rule.cutoff(now)]


def drop_expired(warehouse: Warehouse, rule: Retention, now: datetime) -> list[str]:
    """Drops the expired partitions, each in its own short transaction."""
    dropped = []
    for name in expired_partitions(warehouse, rule, now):
        with warehouse.cursor() as cursor:
            cursor.execute("set local lock_timeout = '10s'")
            cursor.execute(sql.SQL("drop table raw.{}").format(sql.Identifier(name)))
        dropped.append(name)
    return dropped


def retention_asset_name(source: str) -> str:
    return f"{source}_raw_retention"


def build_retention(
    source: str, rules: tuple[Retention, ...], owner: str
) -> tuple[dg.AssetsDefinition, dg.AssetChecksDefinition, dg.ScheduleDefinition]:
    """The source's retention asset, its check and its daily schedule (01:15 UTC)."""
    name = retention_asset_name(source)
    limits = ", ".join(f"raw.{r.table}: {r.default_days} days ({r.setting})" for r in rules)

    @dg.asset(
        name=name,
        group_name=source,
        owners=[owner],
        description=f"Drops raw month partitions past the retention limit: {limits}.",
        deps=[dg.AssetKey(["raw", rule.table]) for rule in rules],
        pool=WAREHOUSE_POOL,
    )
    def retention(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        now = datetime.now(UTC)
        dropped = {rule.table: drop_expired(warehouse.get(), rule, now) for rule in rules}
        for table, names in dropped.items():
            context.log.info(f"raw.{table}: dropped {len(names)} partitions {names}")
        return dg.MaterializeResult(
            metadata={
                "dropped_partitions": sum(len(names) for names in dropped.values()),
                "dropped": dg.MetadataValue.json(dropped),
                "kept_days": dg.MetadataValue.json({r.table: r.days() for r in rules}),
            }
        )

    check = _retention_check(name, rules)
    job = dg.define_asset_job(f"{name}_job", selection=dg.AssetSelection.assets(retention))
    schedule = dg.ScheduleDefinition(
        name=f"{name}_daily", job=job, cron_schedule="15 1 * * *", execution_timezone="UTC"
    )
    return retention, check, schedule


def _retention_check(name: str, rules: tuple[Retention, ...]) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([name]),
        name=f"{name}_respected",
        description="No raw month partition wholly past its retention limit remains.",
        blocking=False,
    )
    def respected(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        now = datetime.now(UTC)
        expired = {r.table: expired_partitions(warehouse.get(), r, now) for r in rules}
        return dg.AssetCheckResult(
            passed=not any(expired.values()),
            metadata={"expired_partitions": dg.MetadataValue.json(expired)},
        )

    return respected
