-- Product (seeds 002, 003): tracked app events and time-series metrics.
do $$ begin
    create type raw.product_event_type as enum ('track', 'page', 'identify');
exception when duplicate_object then null; end $$;
do $$ begin
    create type raw.metric_type as enum ('counter', 'gauge', 'histogram', 'timer');
exception when duplicate_object then null; end $$;

create table if not exists raw.analytics_events (
    event_id    text                   not null,
    occurred_at timestamptz            not null,
    event_type  raw.product_event_type not null,
    event_name  text                   not null,
    category    text,
    session_id  text,
    user_id     text,
    properties  jsonb,
    context     jsonb,
    page_url    text,
    referrer    text,
    is_internal boolean                not null default false,
    _load_id    bigint                 not null,
    _loaded_at  timestamptz            not null default now(),
    primary key (event_id, occurred_at)
) partition by range (occurred_at);

create table if not exists raw.metrics (
    event_id    text             not null,
    recorded_at timestamptz      not null,
    name        text             not null,
    metric_type raw.metric_type  not null,
    value       double precision not null,
    tags        jsonb,
    unit        text,
    _load_id    bigint           not null,
    _loaded_at  timestamptz      not null default now(),
    primary key (event_id, recorded_at)
) partition by range (recorded_at);
