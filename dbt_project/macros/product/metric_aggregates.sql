{#-
    metric_aggregates_hourly / _daily / _weekly / _monthly: one macro, the grain (hour, day,
    week, month) as parameter. Per period, metric name, metric type and tag set (the stable key
    of stg_product__metrics), and per period, name and type over all tag sets (tags '(all)'):
    count, sum, min, max, avg and the exact percentiles (percentile_cont) of the period's
    points, never averaged across hours or days. The window is widened to whole periods, so a
    late point of one day recomputes its whole week and month. Sums and means add the values
    as numeric: exact, so they do not depend on the order rows are read in (an incremental
    run equals a full refresh to the last bit).
-#}
{% macro metric_aggregates(grain) %}

{%- set window = get_event_window('day' if grain == 'hour' else grain, reopen_incomplete=true) %}
{%- set period = 'event_date' if grain == 'hour' else truncate_to_period('event_date', grain) %}

with points as (

    {{ metric_points(window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

grouped as (

    select
        {{ period }} as period_start,
        {%- if grain == 'hour' %}
        hour_start,
        {%- endif %}
        metric_name,
        metric_type,
        case when grouping(tags) = 1 then '(all)' else tags end as tags,
        min(unit) as unit,
        count(*) as point_count,
        sum(value::numeric)::double precision as sum_value,
        min(value) as min_value,
        max(value) as max_value,
        avg(value::numeric)::double precision as avg_value,
        percentile_cont(0.5) within group (order by value) as p50_value,
        percentile_cont(0.9) within group (order by value) as p90_value,
        percentile_cont(0.95) within group (order by value) as p95_value,
        percentile_cont(0.99) within group (order by value) as p99_value,
        min(recorded_at) as first_recorded_at,
        max(recorded_at) as last_recorded_at
    from points
    group by grouping sets (
        ({{ period }}, {{ 'hour_start, ' if grain == 'hour' }}metric_name, metric_type, tags),
        ({{ period }}, {{ 'hour_start, ' if grain == 'hour' }}metric_name, metric_type)
    )

),

final as (

    select
        grouped.*,
        {%- if grain == 'hour' %}
        coalesce(
            grouped.hour_start >= coverage.first_event_date
            and grouped.hour_start + interval '1 hour'
            <= coverage.loaded_through at time zone 'UTC',
            false
        ) as is_complete
        {%- else %}
        {{ period_is_complete('grouped.period_start',
                              period_end_of('grouped.period_start', grain)) }} as is_complete
        {%- endif %}
    from grouped
    left join coverage on true

)

select * from final

{%- endmacro %}
