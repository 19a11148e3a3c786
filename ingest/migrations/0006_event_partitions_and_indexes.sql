-- Default partitions, the indexes the time-window queries need, and the first months.
do $$
declare
    event_table record;
begin
    for event_table in
        select c.oid::regclass as parent, c.relname, a.attname as time_column
        from pg_partitioned_table p
        join pg_class c on c.oid = p.partrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum = p.partattrs[0]
        where n.nspname = 'raw'
    loop
        execute format(
            'create table if not exists raw.%I partition of %s default',
            event_table.relname || '_default', event_table.parent
        );
        execute format(
            'create index if not exists %I on %s (%I)',
            event_table.relname || '_time_idx', event_table.parent, event_table.time_column
        );
        perform raw.ensure_month_partitions(
            event_table.parent,
            (date_trunc('month', now()) - interval '12 months')::date,
            (date_trunc('month', now()) + interval '3 months')::date
        );
    end loop;
end $$;

-- The secondary indexes this migration used to create here (module/time, language/time,
-- field, trigger/time, name/time, request hash) had no reader; migration 0016 drops them from
-- warehouses that have them. They are no longer created, so that replaying this file after
-- 0016 brings none of them back.
