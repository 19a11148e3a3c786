-- Builds (seed 004): firmware build requests and the builds they run.
do $$ begin
    create type raw.build_status as enum ('success', 'failure', 'timeout', 'cancelled');
exception when duplicate_object then null; end $$;
do $$ begin
    create type raw.build_error_category as enum
        ('validation', 'container', 'build', 'storage', 'network');
exception when duplicate_object then null; end $$;

create table if not exists raw.build_requests (
    event_id         text        not null,
    requested_at     timestamptz not null,
    request_hash     text        not null,
    client           text        not null,
    version          text        not null,
    target           text        not null,
    profile          text        not null,
    diff_packages    boolean     not null,
    package_count    integer,
    has_custom_repos boolean,
    has_defaults     boolean,
    rootfs_size_mb   integer,
    cache_hit        boolean     not null default false,
    _load_id         bigint      not null,
    _loaded_at       timestamptz not null default now(),
    primary key (event_id, requested_at)
) partition by range (requested_at);

create table if not exists raw.build_events (
    event_id         text                     not null,
    started_at       timestamptz              not null,
    finished_at      timestamptz,
    request_hash     text                     not null,
    client           text                     not null,
    duration_seconds integer,
    status           raw.build_status         not null,
    error_category   raw.build_error_category,
    error_message    text,
    cache_hit        boolean                  not null default false,
    worker_id        text,
    _load_id         bigint                   not null,
    _loaded_at       timestamptz              not null default now(),
    primary key (event_id, started_at)
) partition by range (started_at);
