{{ config(indexes=[{'columns': ['hour_start']}]) }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with builds as (

    select * from {{ ref('stg_builds__builds') }}
    where {{ in_window('event_date', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'builds'

),

hourly as (

    select
        event_date as period_start,
        date_trunc('hour', started_at at time zone 'UTC') as hour_start,
        count(*) as builds_started,
        count(queue_length) as queue_samples,
        min(queue_length) as min_queue_length,
        avg(queue_length)::double precision as avg_queue_length,
        max(queue_length) as max_queue_length
    from builds
    group by event_date, date_trunc('hour', started_at at time zone 'UTC')

),

final as (

    select
        hourly.*,
        {{ period_is_complete('hourly.period_start', 'hourly.period_start') }} as is_complete
    from hourly
    left join coverage on true

)

select * from final
