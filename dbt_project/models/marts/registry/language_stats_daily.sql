{{ config(indexes=[{'columns': ['language', 'period_start']}]) }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with compilations as (

    select * from {{ ref('stg_registry__compilation_events') }}
    where {{ in_window('event_date', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'registry'

),

daily as (

    select
        event_date as period_start,
        language,
        count(*) as compilation_count,
        count(*) filter (where is_success) as success_count,
        count(*) filter (where not is_success) as failure_count,
        avg(duration_ms)::{{ type_double() }} as avg_duration_ms,
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
        daily.failure_count::{{ type_double() }} / daily.compilation_count as failure_rate,
        daily.cache_hit_count::{{ type_double() }} / daily.compilation_count as cache_hit_rate,
        {{ period_is_complete('daily.period_start', 'daily.period_start') }} as is_complete
    from daily
    left join coverage on true

)

select * from final
