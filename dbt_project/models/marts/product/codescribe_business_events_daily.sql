{{ config(unique_key='period_start') }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with events as (

    select * from {{ ref('stg_product__events') }}
    where
        {{ in_window('event_date', window) }}
        and category = 'business'
        and not is_internal

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

totals as (

    select
        event_date as period_start,
        event_name,
        coalesce(action, '(none)') as action,
        coalesce(method, '(none)') as method,
        coalesce(tier, new_tier, '(none)') as tier,
        coalesce(previous_tier, '(none)') as previous_tier,
        count(*) as events,
        count(distinct user_id) as unique_users,
        sum(amount) as amount,
        avg(percent_used) as avg_percent_used
    from events
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        totals.*,
        {{ period_is_complete('totals.period_start', 'totals.period_start') }} as is_complete
    from totals
    left join coverage on true

)

select * from final
