{{ config(
    unique_key='period_start',
    tags=['daily'],
    indexes=[{'columns': ['period_start']}, {'columns': ['language', 'period_start']}],
) }}

{%- set window = event_window('day', 'period_start', reopen_incomplete=true) %}

with compilations as (

    select * from {{ ref('stg_registry__compilation_events') }}
    where {{ in_window('event_date', window) }}

),

horizon as (

    select {{ complete_through('registry') }} as complete_through

),

daily as (

    select
        event_date as period_start,
        language,
        count(*) as compilation_count,
        count(*) filter (where is_success) as success_count,
        count(*) filter (where not is_success) as failure_count,
        avg(duration_ms)::double precision as avg_duration_ms,
        percentile_cont(0.5) within group (order by duration_ms) as p50_duration_ms,
        percentile_cont(0.95) within group (order by duration_ms) as p95_duration_ms,
        percentile_cont(0.99) within group (order by duration_ms) as p99_duration_ms,
        coalesce(sum(output_size_bytes), 0)::bigint as total_output_bytes,
        count(*) filter (where is_cache_hit) as cache_hit_count,
        count(*) filter (where not is_cache_hit) as cache_miss_count
    from compilations
    group by 1, 2

),

final as (

    select
        daily.*,
        daily.failure_count::double precision / daily.compilation_count as failure_rate,
        daily.cache_hit_count::double precision / daily.compilation_count as cache_hit_rate,
        coalesce(daily.period_start <= horizon.complete_through, false) as is_complete
    from daily
    cross join horizon

)

select * from final
