-- One event id is one event, whatever its time: the copy loaded first wins, everywhere.
--
-- An event table's primary key has to hold its partition key, (event_id, event time), so a
-- re-sent event (the same id with another time) used to load a second time, and staging met
-- both copies whenever one window did not span the two days. raw._event_ids knows every event
-- id of every event table in one index: the loader claims each new id there, and a copy with
-- another time goes to quarantine saying which time was kept.
create table if not exists raw._event_ids (
    table_name text        not null,
    event_id   text        not null,
    event_time timestamptz not null,
    load_id    bigint      not null,
    primary key (table_name, event_id)
);

-- The ids loaded so far: the first loaded copy of each. Later copies with another time move to
-- quarantine under the load that brought them, and those loads count as new to dbt and to the
-- late-data sensor (their transaction id is this migration's), so the days they touched are
-- rebuilt by the next run.
do $$
declare
    event_table record;
begin
    for event_table in
        select c.relname as table_name, a.attname as time_column
        from pg_partitioned_table as p
        join pg_class as c on c.oid = p.partrelid
        join pg_attribute as a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
        where c.relnamespace = 'raw'::regnamespace
          and exists (
              select from pg_attribute as e
              where e.attrelid = c.oid and e.attname = 'event_id' and not e.attisdropped
          )
    loop
        execute format(
            'insert into raw._event_ids (table_name, event_id, event_time, load_id)'
            ' select distinct on (event_id) %L, event_id, %I, _load_id from raw.%I'
            ' order by event_id, _loaded_at, _load_id, %I'
            ' on conflict do nothing',
            event_table.table_name, event_table.time_column, event_table.table_name,
            event_table.time_column
        );
        execute format(
            'create temp table _later_copies on commit drop as'
            ' select copy.event_id, copy.%1$I as event_time, copy._load_id,'
            '        kept.event_time as kept_time, row_to_json(copy)::text as original_text'
            ' from raw.%2$I as copy'
            ' join raw._event_ids as kept'
            '   on kept.table_name = %2$L and kept.event_id = copy.event_id'
            ' where copy.%1$I <> kept.event_time',
            event_table.time_column, event_table.table_name
        );
        insert into raw._quarantine
            (load_id, source, table_name, file_name, line_number, original_text, reason)
        select
            later._load_id, loads.source, event_table.table_name, loads.file_name, 0,
            later.original_text,
            format(
                're-sent event: event_id %s was loaded before with %s %s; the first copy is'
                ' kept (moved here by migration 0011)',
                later.event_id, event_table.time_column, later.kept_time
            )
        from _later_copies as later
        join raw._loads as loads on loads.load_id = later._load_id;
        execute format(
            'delete from raw.%I as copy using _later_copies as later'
            ' where copy.event_id = later.event_id and copy.%I = later.event_time',
            event_table.table_name, event_table.time_column
        );
        update raw._loads
        set rows_loaded = rows_loaded - moved.copies,
            rows_quarantined = rows_quarantined + moved.copies,
            load_xid = pg_current_xact_id()
        from (
            select _load_id, count(*) as copies from _later_copies group by _load_id
        ) as moved
        where raw._loads.load_id = moved._load_id;
        drop table _later_copies;
    end loop;
end $$;
