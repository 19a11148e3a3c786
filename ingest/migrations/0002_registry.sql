-- Registry (seed 000): download, module view, compilation and field usage events,
-- and the catalog of modules, versions, schema fields and dependencies.
do $$ begin
    create type raw.view_source as enum ('web', 'api', 'cli');
exception when duplicate_object then null; end $$;
do $$ begin
    create type raw.view_page_type as enum ('list', 'detail', 'search');
exception when duplicate_object then null; end $$;

create table if not exists raw.download_events (
    event_id        text        not null,
    downloaded_at   timestamptz not null,
    user_id         text,
    organization_id text,
    module_name     text        not null,
    version         text        not null,
    language        text        not null,
    file_size       bigint,
    duration_ms     integer,
    success         boolean     not null,
    error_message   text,
    ip_address      inet,
    user_agent      text,
    client_sdk      text,
    client_version  text,
    cache_hit       boolean     not null default false,
    _load_id        bigint      not null,
    _loaded_at      timestamptz not null default now(),
    primary key (event_id, downloaded_at)
) partition by range (downloaded_at);

create table if not exists raw.module_view_events (
    event_id        text            not null,
    viewed_at       timestamptz     not null,
    user_id         text,
    organization_id text,
    module_name     text            not null,
    version         text,
    source          raw.view_source not null,
    page_type       raw.view_page_type not null,
    referrer        text,
    ip_address      inet,
    user_agent      text,
    _load_id        bigint          not null,
    _loaded_at      timestamptz     not null default now(),
    primary key (event_id, viewed_at)
) partition by range (viewed_at);

create table if not exists raw.compilation_events (
    event_id         text        not null,
    started_at       timestamptz not null,
    completed_at     timestamptz,
    organization_id  text,
    user_id          text,
    module_name      text        not null,
    version          text        not null,
    language         text        not null,
    duration_ms      integer,
    success          boolean     not null,
    error_message    text,
    error_type       text,
    cache_hit        boolean     not null default false,
    file_count       integer,
    output_size      bigint,
    compiler_version text,
    _load_id         bigint      not null,
    _loaded_at       timestamptz not null default now(),
    primary key (event_id, started_at)
) partition by range (started_at);

-- One row per read of a schema field by a client: the input of unused-field detection.
create table if not exists raw.field_usage_events (
    event_id        text        not null,
    used_at         timestamptz not null,
    organization_id text,
    module_name     text        not null,
    version         text        not null,
    message_name    text        not null,
    field_name      text        not null,
    _load_id        bigint      not null,
    _loaded_at      timestamptz not null default now(),
    primary key (event_id, used_at)
) partition by range (used_at);

create table if not exists raw.modules (
    module_name     text        not null primary key,
    organization_id text        not null,
    created_at      timestamptz not null,
    description     text,
    _load_id        bigint      not null,
    _loaded_at      timestamptz not null default now()
);

create table if not exists raw.module_versions (
    module_name        text        not null,
    version            text        not null,
    created_at         timestamptz not null,
    created_by         text,
    is_breaking_change boolean     not null default false,
    size_bytes         bigint      not null default 0,
    _load_id           bigint      not null,
    _loaded_at         timestamptz not null default now(),
    primary key (module_name, version)
);

create table if not exists raw.schema_fields (
    module_name   text    not null,
    version       text    not null,
    message_name  text    not null,
    field_name    text    not null,
    field_type    text    not null,
    nesting_depth integer not null default 0,
    is_deprecated boolean not null default false,
    _load_id      bigint  not null,
    _loaded_at    timestamptz not null default now(),
    primary key (module_name, version, message_name, field_name)
);

create table if not exists raw.module_dependencies (
    module_name       text not null,
    version           text not null,
    depends_on_module text not null,
    _load_id          bigint not null,
    _loaded_at        timestamptz not null default now(),
    primary key (module_name, version, depends_on_module)
);
