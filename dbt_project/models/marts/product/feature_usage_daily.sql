{{ config(unique_key='period_start') }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

{#- A feature use is a tracked usage event (seed 003's usage category: doc_generation,
    batch_generation, quality_score, oauth_flow, seed 002's missions, specs, forge items and
    searches); user_interaction is one feature per action. -#}
with events as (

    select * from {{ ref('stg_product__events') }}
    where
        {{ in_window('event_date', window) }}
        and category = 'usage'
        and event_type = 'track'
        and not is_internal

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

uses as (

    select
        event_date,
        user_id,
        duration_ms,
        is_success,
        case
            when event_name = 'user_interaction'
                then 'user_interaction:' || coalesce(action, '(none)')
            else event_name
        end as feature_name
    from events

),

totals as (

    select
        event_date as period_start,
        feature_name,
        count(*) as usage_count,
        count(distinct user_id) as unique_users,
        avg(duration_ms) as avg_duration_ms,
        avg(case when is_success then 1.0 else 0.0 end) filter (
            where is_success is not null
        )::double precision as success_rate,
        count(*) filter (where is_success is not null) as outcomes
    from uses
    group by event_date, feature_name

),

final as (

    select
        totals.*,
        {{ period_is_complete('totals.period_start', 'totals.period_start') }} as is_complete
    from totals
    left join coverage on true

)

select * from final
