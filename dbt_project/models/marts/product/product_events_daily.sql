{{ config(
    unique_key='period_start',
    indexes=[{'columns': ['event_name', 'period_start']}],
) }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with events as (

    select * from {{ ref('stg_product__events') }}
    where {{ in_window('event_date', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

totals as (

    select
        event_date as period_start,
        event_name,
        category,
        count(*) filter (where not is_internal) as events,
        count(distinct session_id) filter (where not is_internal) as unique_sessions,
        count(distinct user_id) filter (where not is_internal) as unique_users,
        count(*) filter (where is_internal) as internal_events,
        count(distinct session_id) filter (where is_internal) as internal_unique_sessions,
        count(distinct user_id) filter (where is_internal) as internal_unique_users
    from events
    group by event_date, event_name, category

),

final as (

    select
        totals.*,
        {{ period_is_complete('totals.period_start', 'totals.period_start') }} as is_complete
    from totals
    left join coverage on true

)

select * from final
