-- Ledger, quarantine and partition management shared by every raw table.
create schema if not exists raw;

create table if not exists raw._loads (
    load_id          bigint generated always as identity primary key,
    source           text        not null,
    table_name       text        not null,
    file_name        text        not null,
    content_sha256   text        not null,
    file_bytes       bigint      not null,
    rows_read        bigint      not null,
    rows_loaded      bigint      not null,
    rows_quarantined bigint      not null,
    rows_duplicate   bigint      not null,
    started_at       timestamptz not null,
    finished_at      timestamptz not null default now(),
    constraint loads_row_equation
        check (rows_read = rows_loaded + rows_quarantined + rows_duplicate),
    constraint loads_file_once unique (table_name, content_sha256)
);

create table if not exists raw._quarantine (
    quarantine_id  bigint generated always as identity primary key,
    load_id        bigint      not null references raw._loads (load_id),
    source         text        not null,
    table_name     text        not null,
    file_name      text        not null,
    line_number    bigint      not null,
    original_text  text,
    reason         text        not null,
    quarantined_at timestamptz not null default now()
);
create index if not exists quarantine_load_idx on raw._quarantine (load_id);

-- Which event dates each load touched: lets orchestration restate exactly those days.
create table if not exists raw._load_event_dates (
    load_id    bigint not null references raw._loads (load_id),
    table_name text   not null,
    event_date date   not null,
    rows       bigint not null,
    primary key (load_id, table_name, event_date)
);
create index if not exists load_event_dates_date_idx on raw._load_event_dates (event_date);

-- Creates the monthly partitions of a raw event table covering [from_month, to_month].
create or replace function raw.ensure_month_partitions(
    parent regclass, from_month date, to_month date
) returns integer
language plpgsql as $$
declare
    month_start date := date_trunc('month', from_month)::date;
    last_month  date := date_trunc('month', to_month)::date;
    table_name  text := (select relname from pg_class where oid = parent);
    created     integer := 0;
    partition   text;
begin
    while month_start <= last_month loop
        partition := format('%s_%s', table_name, to_char(month_start, 'YYYY_MM'));
        if to_regclass(format('raw.%I', partition)) is null then
            execute format(
                'create table raw.%I partition of %s for values from (%L) to (%L)',
                partition, parent, month_start, (month_start + interval '1 month')::date
            );
            created := created + 1;
        end if;
        month_start := (month_start + interval '1 month')::date;
    end loop;
    return created;
end;
$$;
