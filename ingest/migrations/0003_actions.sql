-- Actions (seed 001): triggers and the results of the actions they fire.
do $$ begin
    create type raw.action_type as enum ('webhook', 'email', 'contract_call');
exception when duplicate_object then null; end $$;
do $$ begin
    create type raw.action_status as enum ('success', 'failure', 'timeout', 'retrying');
exception when duplicate_object then null; end $$;

create table if not exists raw.triggers (
    trigger_id      text            not null primary key,
    organization_id text            not null,
    name            text            not null,
    event_type      text            not null,
    action_type     raw.action_type not null,
    is_active       boolean         not null default true,
    created_at      timestamptz     not null,
    _load_id        bigint          not null,
    _loaded_at      timestamptz     not null default now()
);

create table if not exists raw.action_results (
    event_id        text              not null,
    executed_at     timestamptz       not null,
    trigger_id      text,
    organization_id text              not null,
    action_type     raw.action_type   not null,
    status          raw.action_status not null,
    duration_ms     integer           not null,
    retry_count     integer           not null default 0,
    error_message   text,
    response_data   jsonb,
    _load_id        bigint            not null,
    _loaded_at      timestamptz       not null default now(),
    primary key (event_id, executed_at)
) partition by range (executed_at);
