{{ config(unique_key='period_start') }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with points as (

    {{ metric_points(window, ['llm.generation_ms']) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

-- Seed 003's "Total Generation Time": each doc type's typical output and time.
typical (doc_type, typical_output_tokens, typical_min_seconds, typical_max_seconds) as (

    values
    ('readme', 500, 15, 20),
    ('jsdoc', 800, 25, 35),
    ('api', 1200, 35, 50),
    ('architecture', 2000, 60, 90)

),

grouped as (

    select
        event_date as period_start,
        coalesce({{ json_text('tags::jsonb', ['doc_type']) }}, '(none)') as doc_type,
        count(*) as generations,
        sum(value::numeric)::double precision as total_generation_ms,
        avg(value::numeric)::double precision as avg_generation_ms,
        min(value) as min_generation_ms,
        max(value) as max_generation_ms,
        percentile_cont(0.5) within group (order by value) as p50_generation_ms,
        percentile_cont(0.9) within group (order by value) as p90_generation_ms,
        percentile_cont(0.95) within group (order by value) as p95_generation_ms,
        percentile_cont(0.99) within group (order by value) as p99_generation_ms
    from points
    group by 1, 2

),

final as (

    select
        grouped.*,
        typical.typical_output_tokens,
        typical.typical_min_seconds,
        typical.typical_max_seconds,
        {{ period_is_complete('grouped.period_start', 'grouped.period_start') }} as is_complete
    from grouped
    left join typical on grouped.doc_type = typical.doc_type
    left join coverage on true

)

select * from final
