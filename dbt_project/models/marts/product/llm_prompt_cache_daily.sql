{{ config(unique_key='period_start') }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with points as (

    {{ metric_points(window, ['llm.cache.hit']) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

grouped as (

    select
        event_date as period_start,
        count(*) as lookups,
        count(*) filter (where value > 0) as hits
    from points
    group by 1

),

final as (

    select
        grouped.period_start,
        grouped.lookups,
        grouped.hits,
        grouped.lookups - grouped.hits as misses,
        grouped.hits::double precision / grouped.lookups as hit_rate,
        {{ var('llm_cache_hit_rate_target') }}::double precision as target_hit_rate,
        grouped.hits::double precision / grouped.lookups
        >= {{ var('llm_cache_hit_rate_target') }} as meets_target,
        {{ period_is_complete('grouped.period_start', 'grouped.period_start') }} as is_complete
    from grouped
    left join coverage on true

)

select * from final
