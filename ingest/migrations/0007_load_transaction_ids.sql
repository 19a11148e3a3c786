-- What dbt needs of the ledger to rebuild exactly what changed (macros/compile_time/).
--
-- The transaction of every load: a load is new to a model when its transaction was not
-- visible in the snapshot the model's last run read with (pg_visible_in_snapshot). Unlike a
-- timestamp or an identity value, this stays right when two loads commit in another order
-- than they started.
alter table raw._loads
    add column if not exists load_xid xid8 not null default pg_current_xact_id();
create index if not exists loads_xid_idx on raw._loads (load_xid);

-- Whether the table is a catalog (not partitioned by an event time): a catalog load changes
-- the days from its rows' creation on, and does not make a day complete.
alter table raw._loads add column if not exists is_catalog boolean not null default false;
update raw._loads
set is_catalog = not exists (
    select from pg_partitioned_table as partitioned
    where partitioned.partrelid = to_regclass(format('raw.%I', _loads.table_name))
);
