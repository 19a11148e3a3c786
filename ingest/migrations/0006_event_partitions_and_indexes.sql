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

create index if not exists download_events_module_time_idx
    on raw.download_events (module_name, downloaded_at);
create index if not exists module_view_events_module_time_idx
    on raw.module_view_events (module_name, viewed_at);
create index if not exists compilation_events_language_time_idx
    on raw.compilation_events (language, started_at);
create index if not exists field_usage_events_field_idx
    on raw.field_usage_events (module_name, version, message_name, field_name);
create index if not exists action_results_trigger_time_idx
    on raw.action_results (trigger_id, executed_at);
create index if not exists analytics_events_name_time_idx
    on raw.analytics_events (event_name, occurred_at);
create index if not exists metrics_name_time_idx on raw.metrics (name, recorded_at);
create index if not exists build_events_request_idx on raw.build_events (request_hash);
