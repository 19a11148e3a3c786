-- The transaction of every load, so that dbt can tell exactly which loads a model has not
-- read yet: a load is new to a model when its transaction was not visible in the snapshot the
-- model's last run read with (pg_visible_in_snapshot). Unlike a timestamp or an identity
-- value, this stays right when two loads commit in another order than they started.
alter table raw._loads
    add column if not exists load_xid xid8 not null default pg_current_xact_id();
create index if not exists loads_xid_idx on raw._loads (load_xid);
