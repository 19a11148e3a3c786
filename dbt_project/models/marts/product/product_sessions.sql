{#- The primary key (session_id) comes from the contract. The index on period_start serves
    the run's window lookup (its latest day) and the delete of delete+insert: without it both
    read every session ever built, a cost that grew with history. -#}
{{ config(
    unique_key='period_start',
    indexes=[
        {'columns': ['period_start']},
        {'columns': ['user_id', 'period_start']},
    ],
) }}

{#- A session's row is on the day it started and is built from all its events, whatever day
    they are on: get_grouped_window rebuilds, with the changed days, the days of every session
    that has an event in them (midnight, late events). -#}
{%- set window = get_grouped_window(ref('stg_product__events'), 'session_id') %}

with events as (

    {{ grouped_events(ref('stg_product__events'), 'session_id', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

sessions as (

    select
        session_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as event_count,
        count(*) filter (where event_type = 'page') as page_view_count,
        {{ first_value_of('user_id', last=true) }} as user_id,
        {{ first_value_of('page_url') }} as landing_page,
        {{ first_value_of('page_url', last=true) }} as exit_page,
        {{ first_value_of('referrer') }} as referrer,
        {{ first_value_of('device') }} as device,
        {{ first_value_of('browser') }} as browser,
        {{ first_value_of('os') }} as os,
        {{ first_value_of('country') }} as country,
        {{ first_value_of('city') }} as city,
        bool_or(is_internal) as is_internal
    from events
    group by session_id

),

final as (

    select
        (sessions.started_at at time zone 'UTC')::date as period_start,
        sessions.session_id,
        sessions.user_id,
        sessions.started_at,
        sessions.ended_at,
        floor(
            extract(epoch from sessions.ended_at - sessions.started_at) * 1000
        )::bigint as duration_ms,
        sessions.event_count,
        sessions.page_view_count,
        sessions.landing_page,
        sessions.exit_page,
        sessions.referrer,
        sessions.device,
        sessions.browser,
        sessions.os,
        sessions.country,
        sessions.city,
        sessions.is_internal,
        (sessions.ended_at at time zone 'UTC')::date
        > (sessions.started_at at time zone 'UTC')::date as crosses_midnight,
        {{ period_is_complete(
            "(sessions.started_at at time zone 'UTC')::date",
            "(sessions.started_at at time zone 'UTC')::date") }} as is_complete
    from sessions
    left join coverage on true

)

select * from final
where {{ in_window('period_start', window) }}
