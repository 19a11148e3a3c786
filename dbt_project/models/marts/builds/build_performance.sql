{{ config(unique_key='as_of_date') }}

{#-
    The seed's GET /api/v1/stats/performance?days=N (N = 7, 30, 90): build duration
    percentiles (percentile_cont) over the builds with a duration, per version and overall
    (version = '(all)'), as of each snapshot day.
-#}

{%- set as_of_dates = get_snapshot_dates(90, 'builds') %}

with lengths as (

    select * from {{ build_period_lengths() }}

),

staged_builds as (

    {{ rows_as_of(ref('stg_builds__builds'), 90, as_of_dates, 'event_date') }}

),

{{ build_request_shapes('staged_builds') }}

recent_builds as (

    select * from staged_builds_described

),

builds as (

    select
        recent_builds.*,
        lengths.period_days
    from recent_builds
    inner join lengths on recent_builds.event_date > recent_builds.as_of_date - lengths.period_days
    where recent_builds.duration_seconds is not null

),

final as (

    select
        as_of_date,
        period_days,
        coalesce(version, '(all)') as version,
        count(*) as build_count,
        avg(duration_seconds)::double precision as avg_duration_seconds,
        percentile_cont(0.5) within group (order by duration_seconds) as p50_duration_seconds,
        percentile_cont(0.9) within group (order by duration_seconds) as p90_duration_seconds,
        percentile_cont(0.95) within group (order by duration_seconds) as p95_duration_seconds,
        percentile_cont(0.99) within group (order by duration_seconds) as p99_duration_seconds,
        min(duration_seconds) as min_duration_seconds,
        max(duration_seconds) as max_duration_seconds
    from builds
    group by grouping sets ((as_of_date, period_days, version), (as_of_date, period_days))

)

select * from final
