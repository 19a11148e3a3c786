{{ config(
    unique_key='period_start',
    indexes=[{'columns': ['user_id', 'period_start']}],
) }}

{#- Rows are written in period order (a full build's hash aggregate scattered each day over
    the table, so the run window's look at the last 62 days read pages across all history). -#}
{%- set window = get_event_window('day', reopen_incomplete=true) %}

with events as (

    select * from {{ ref('stg_product__events') }}
    where
        {{ in_window('event_date', window) }}
        and user_id is not null
        and not is_internal

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

{# A session's part of the day: from the user's first to last event in it that day. #}
session_parts as (

    select
        event_date,
        user_id,
        session_id,
        floor(extract(epoch from max(occurred_at) - min(occurred_at)) * 1000)::bigint
            as duration_ms
    from events
    where session_id is not null
    group by event_date, user_id, session_id

),

durations as (

    select
        event_date,
        user_id,
        count(*) as session_count,
        sum(duration_ms) as total_duration_ms
    from session_parts
    group by event_date, user_id

),

by_name as (

    select
        event_date,
        user_id,
        event_name,
        count(*) as events
    from events
    group by event_date, user_id, event_name

),

breakdowns as (

    select
        event_date,
        user_id,
        jsonb_object_agg(event_name, events order by event_name) as events_breakdown
    from by_name
    group by event_date, user_id

),

totals as (

    select
        event_date,
        user_id,
        count(*) as event_count,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from events
    group by event_date, user_id

),

final as (

    select
        totals.event_date as period_start,
        totals.user_id,
        coalesce(durations.session_count, 0) as session_count,
        totals.event_count,
        coalesce(durations.total_duration_ms, 0)::bigint as total_duration_ms,
        totals.first_seen_at,
        totals.last_seen_at,
        breakdowns.events_breakdown,
        {{ period_is_complete('totals.event_date', 'totals.event_date') }} as is_complete
    from totals
    inner join breakdowns
        on totals.event_date = breakdowns.event_date and totals.user_id = breakdowns.user_id
    left join durations
        on totals.event_date = durations.event_date and totals.user_id = durations.user_id
    left join coverage on true

)

select * from final
order by period_start
