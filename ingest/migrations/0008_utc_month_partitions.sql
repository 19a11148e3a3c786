-- Month partitions bounded in UTC whatever the server's TimeZone, created without blocking
-- readers, and safe when two loads need the same new month at once.
--
-- Until now `raw.ensure_month_partitions` wrote the bounds as bare dates, which a timestamptz
-- partition key reads in the session's time zone: a server in America/New_York made March
-- start at 05:00 UTC, and the loader (which works in UTC) then collided with those partitions
-- ("would overlap") or filed rows under the wrong month.

-- Creates the monthly partitions of a raw event table covering [from_month, to_month]; the
-- months are UTC calendar months.
create or replace function raw.ensure_month_partitions(
    parent regclass, from_month date, to_month date
) returns integer
language plpgsql as $$
declare
    -- date -> timestamp (without time zone) keeps the session's TimeZone out of the arithmetic.
    month_start date := date_trunc('month', from_month::timestamp)::date;
    last_month  date := date_trunc('month', to_month::timestamp)::date;
    parent_name text := (select relname from pg_class where oid = parent);
    created     integer := 0;
    partition   text;
begin
    -- Two sessions creating the same month: the second waits here, then finds it made.
    perform pg_advisory_xact_lock(
        hashtextextended('raw.ensure_month_partitions ' || parent::oid::text, 0)
    );
    while month_start <= last_month loop
        partition := format('%s_%s', parent_name, to_char(month_start, 'YYYY_MM'));
        if to_regclass(format('raw.%I', partition)) is null then
            -- CREATE ... PARTITION OF would take ACCESS EXCLUSIVE on the parent and block its
            -- readers; ATTACH needs only SHARE UPDATE EXCLUSIVE on it.
            execute format('create table raw.%I (like %s including all)', partition, parent);
            execute format(
                'alter table %s attach partition raw.%I for values from (%L) to (%L)',
                parent, partition,
                to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00',
                to_char(month_start + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00'
            );
            created := created + 1;
        end if;
        month_start := (month_start + interval '1 month')::date;
    end loop;
    return created;
end;
$$;

-- Re-partitions, in UTC, every month partition made with local-time bounds: detach them, move
-- the default partition's rows that fall into the months involved out of the way, create the
-- UTC months, put all those rows back through the parent, drop the old tables. On a server
-- that always ran in UTC nothing matches and this does nothing.
do $$
declare
    part        record;
    event_table record;
    lower_time  timestamptz;
    upper_time  timestamptz;
    utc_month   date;
    columns     text;
    time_column text;
    default_partition regclass;
begin
    create temp table _misaligned (
        parent regclass, old_name text, first_month date, last_month date
    ) on commit drop;
    for part in
        select i.inhparent::regclass as parent, c.relname,
               pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_inherits i
        join pg_class c on c.oid = i.inhrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_partitioned_table p on p.partrelid = i.inhparent
        where n.nspname = 'raw' and c.relispartition
          and pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
    loop
        -- The bound text carries its UTC offset, so it reads back exactly in any time zone.
        lower_time := substring(part.bound from $r$FROM \('([^']+)'\)$r$)::timestamptz;
        upper_time := substring(part.bound from $r$TO \('([^']+)'\)$r$)::timestamptz;
        utc_month := date_trunc('month', lower_time at time zone 'UTC')::date;
        continue when lower_time = utc_month::timestamp at time zone 'UTC'
            and upper_time = (utc_month + interval '1 month') at time zone 'UTC';
        execute format('alter table %s detach partition raw.%I', part.parent, part.relname);
        execute format('alter table raw.%I rename to %I', part.relname, part.relname || '_tz');
        insert into _misaligned values (
            part.parent, part.relname || '_tz', utc_month,
            date_trunc('month', (upper_time - interval '1 microsecond') at time zone 'UTC')::date
        );
    end loop;

    for event_table in
        select parent, min(first_month) as first_month, max(last_month) as last_month
        from _misaligned group by parent
    loop
        select string_agg(quote_ident(attname), ', ' order by attnum) into columns
        from pg_attribute
        where attrelid = event_table.parent and attnum > 0 and not attisdropped;
        select a.attname into time_column
        from pg_partitioned_table p
        join pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
        where p.partrelid = event_table.parent;
        select c.oid::regclass into default_partition
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = event_table.parent
          and pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';
        execute format(
            'create temp table _moved on commit drop as select %s from %s limit 0',
            columns, event_table.parent
        );
        if default_partition is not null then
            execute format(
                'with moved as (delete from %s where %I >= %L and %I < %L returning %s)'
                ' insert into _moved select * from moved',
                default_partition,
                time_column, event_table.first_month::timestamp at time zone 'UTC',
                time_column, (event_table.last_month + interval '1 month') at time zone 'UTC',
                columns
            );
        end if;
        perform raw.ensure_month_partitions(
            event_table.parent, event_table.first_month, event_table.last_month
        );
        execute format('insert into %s (%s) select %s from _moved',
                       event_table.parent, columns, columns);
        drop table _moved;
        for part in select old_name from _misaligned where parent = event_table.parent loop
            execute format('insert into %s (%s) select %s from raw.%I',
                           event_table.parent, columns, columns, part.old_name);
            execute format('drop table raw.%I', part.old_name);
        end loop;
    end loop;
    drop table _misaligned;
end $$;

-- The months the migrations promise (the last twelve and the three ahead), now in UTC.
do $$
declare
    event_table record;
    this_month  date := date_trunc('month', now() at time zone 'UTC')::date;
begin
    for event_table in
        select p.partrelid::regclass as parent
        from pg_partitioned_table p
        join pg_class c on c.oid = p.partrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'raw'
    loop
        perform raw.ensure_month_partitions(
            event_table.parent,
            (this_month - interval '12 months')::date,
            (this_month + interval '3 months')::date
        );
    end loop;
end $$;
