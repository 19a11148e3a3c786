{{ config(unique_key='period_start') }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with points as (

    {{ metric_points(window, ['llm.ttft_ms', 'llm.tpot_ms', 'llm.throughput_tps']) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

-- Seed 003's LLM performance benchmarks: each metric's four buckets, lower bound inclusive,
-- upper bound exclusive (null: unbounded).
buckets (metric_name, bucket_number, bucket_label, rating, lower_bound, upper_bound) as (

    values
    ('llm.ttft_ms', 1, '< 500 ms', 'excellent', null, 500.0),
    ('llm.ttft_ms', 2, '500-1000 ms', 'good', 500.0, 1000.0),
    ('llm.ttft_ms', 3, '1000-2000 ms', 'acceptable', 1000.0, 2000.0),
    ('llm.ttft_ms', 4, '> 2000 ms', 'slow', 2000.0, null),
    ('llm.tpot_ms', 1, '< 20 ms', 'excellent', null, 20.0),
    ('llm.tpot_ms', 2, '20-40 ms', 'good', 20.0, 40.0),
    ('llm.tpot_ms', 3, '40-60 ms', 'acceptable', 40.0, 60.0),
    ('llm.tpot_ms', 4, '> 60 ms', 'slow', 60.0, null),
    ('llm.throughput_tps', 1, '> 50 tokens/s', 'excellent', 50.0, null),
    ('llm.throughput_tps', 2, '30-50 tokens/s', 'good', 30.0, 50.0),
    ('llm.throughput_tps', 3, '15-30 tokens/s', 'acceptable', 15.0, 30.0),
    ('llm.throughput_tps', 4, '< 15 tokens/s', 'slow', null, 15.0)

),

metric_days as (

    select
        event_date as period_start,
        metric_name,
        count(*) as metric_points
    from points
    group by 1, 2

),

bucketed as (

    select
        points.event_date as period_start,
        buckets.metric_name,
        buckets.bucket_number,
        count(*) as points
    from points
    inner join buckets
        on
            points.metric_name = buckets.metric_name
            and points.value >= coalesce(buckets.lower_bound, '-infinity')
            and points.value < coalesce(buckets.upper_bound, 'infinity')
    group by 1, 2, 3

),

final as (

    select
        metric_days.period_start,
        metric_days.metric_name,
        buckets.bucket_number,
        buckets.bucket_label,
        buckets.rating,
        buckets.lower_bound::double precision as lower_bound,
        buckets.upper_bound::double precision as upper_bound,
        coalesce(bucketed.points, 0) as points,
        coalesce(bucketed.points, 0)::double precision
        / metric_days.metric_points as share_of_points,
        {{ period_is_complete('metric_days.period_start', 'metric_days.period_start') }}
            as is_complete
    from metric_days
    inner join buckets on metric_days.metric_name = buckets.metric_name
    left join bucketed
        on
            metric_days.period_start = bucketed.period_start
            and buckets.metric_name = bucketed.metric_name
            and buckets.bucket_number = bucketed.bucket_number
    left join coverage on true

)

select * from final
