-- Issue 10: the raw event tables keep only the indexes something reads, and the event-id
-- ledger is the one index of ids.
--
-- Measured at 1M rows (BENCHMARKS.md): inserting into raw.download_events with its three
-- btrees cost five times the insert into the bare table. What reads them:
-- - Staging reads an event table only through its time window (macro windowed_events): a
--   range on the partition key. Rows arrive in time order (daily files), so a BRIN index on
--   the event time finds a day's pages in a month partition at a fraction of a btree's cost
--   to maintain; it keeps its name <table>_time_idx. With autosummarize, autovacuum
--   summarizes each block range a load fills, soon after the load and at no cost to it
--   (until then the range is read whole: a day's window reads at most its month).
-- - The secondary btrees (module/time, language/time, field, trigger/time, name/time,
--   request hash) have no reader: no model filters raw by those columns.
-- - The primary key (event_id, event time) was the loader's duplicate check, and it could not
--   see a re-sent copy with another time. raw._event_ids (migration 0011) holds every event id
--   of every event table once; the loader now decides new, duplicate and re-sent from it
--   alone, so the primary key is a second index of the same ids.
--
-- The ledger compares ids bytewise (collate "C"): ids are opaque, and the database's default
-- collation compares through the C library, slower, with no abbreviated keys in sorts.
-- Idempotent: every step checks first; rows and ids are kept.

-- 1. The ledger's keys in collation "C" (its primary key is rebuilt; the rows stay).
do $$
begin
    if exists (
        select from pg_attribute
        where attrelid = 'raw._event_ids'::regclass and attname in ('table_name', 'event_id')
          and attcollation <> 'pg_catalog."C"'::regcollation
    ) then
        alter table raw._event_ids
            alter column table_name type text collate "C",
            alter column event_id type text collate "C";
    end if;
end $$;

-- 2. The event tables: no primary key, no secondary btree, a BRIN index on the event time.
do $$
declare
    event_table record;
    time_index  text;
begin
    for event_table in
        select c.oid::regclass as parent, c.relname, a.attname as time_column
        from pg_partitioned_table as p
        join pg_class as c on c.oid = p.partrelid
        join pg_attribute as a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
        where c.relnamespace = 'raw'::regnamespace
          and c.relname not like '\_%'
          and exists (
              select from pg_attribute as e
              where e.attrelid = c.oid and e.attname = 'event_id' and not e.attisdropped
          )
    loop
        execute format(
            'alter table %s drop constraint if exists %I',
            event_table.parent, event_table.relname || '_pkey'
        );
        time_index := event_table.relname || '_time_idx';
        if exists (
            select from pg_class as i join pg_am as am on am.oid = i.relam
            where i.oid = to_regclass(format('raw.%I', time_index)) and am.amname <> 'brin'
        ) then
            execute format('drop index raw.%I', time_index);
        end if;
        execute format(
            'create index if not exists %I on %s using brin (%I) with (autosummarize = on)',
            time_index, event_table.parent, event_table.time_column
        );
    end loop;
end $$;

drop index if exists raw.download_events_module_time_idx;
drop index if exists raw.module_view_events_module_time_idx;
drop index if exists raw.compilation_events_language_time_idx;
drop index if exists raw.field_usage_events_field_idx;
drop index if exists raw.action_results_trigger_time_idx;
drop index if exists raw.analytics_events_name_time_idx;
drop index if exists raw.metrics_name_time_idx;
drop index if exists raw.build_events_request_idx;
