{%- set window = get_event_window('day', reopen_incomplete=true) %}

with requests as (

    select * from {{ ref('stg_builds__requests') }}
    where {{ in_window('event_date', window) }}

),

builds as (

    select * from {{ ref('stg_builds__builds') }}
    where {{ in_window('event_date', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'builds'

),

request_totals as (

    select
        event_date as period_start,
        count(*) as total_requests,
        count(distinct request_hash) as unique_requests,
        count(*) filter (where is_cache_hit) as cache_hits,
        count(distinct client) as unique_clients,
        count(*) filter (where is_diff_packages) as diff_packages_true,
        count(*) filter (where not is_diff_packages) as diff_packages_false
    from requests
    group by event_date

),

build_totals as (

    select
        event_date as period_start,
        count(*) as build_count,
        count(*) filter (where is_success) as successful_builds,
        count(*) filter (where is_failure) as failed_builds,
        count(*) filter (where status = 'building') as building_builds,
        avg(duration_seconds)::double precision as avg_build_duration_seconds,
        min(duration_seconds) as min_build_duration_seconds,
        max(duration_seconds) as max_build_duration_seconds,
        sum(duration_seconds) as total_build_time_seconds,
        percentile_cont(0.5) within group (order by duration_seconds) as p50_build_duration_seconds,
        percentile_cont(0.9) within group (order by duration_seconds) as p90_build_duration_seconds,
        percentile_cont(0.95) within group (order by duration_seconds) as p95_build_duration_seconds,
        percentile_cont(0.99) within group (order by duration_seconds) as p99_build_duration_seconds,
        max(queue_length) as max_queue_length
    from builds
    group by event_date

),

days as (

    select period_start from request_totals
    union
    select period_start from build_totals

),

final as (

    select
        days.period_start,
        coalesce(request_totals.total_requests, 0) as total_requests,
        coalesce(request_totals.unique_requests, 0) as unique_requests,
        coalesce(request_totals.cache_hits, 0) as cache_hits,
        request_totals.cache_hits::double precision
        / nullif(request_totals.total_requests, 0) as cache_hit_rate,
        coalesce(build_totals.build_count, 0) as build_count,
        coalesce(build_totals.successful_builds, 0) as successful_builds,
        coalesce(build_totals.failed_builds, 0) as failed_builds,
        coalesce(build_totals.building_builds, 0) as building_builds,
        build_totals.successful_builds::double precision
        / nullif(build_totals.successful_builds + build_totals.failed_builds, 0) as success_rate,
        build_totals.avg_build_duration_seconds,
        build_totals.min_build_duration_seconds,
        build_totals.max_build_duration_seconds,
        coalesce(build_totals.total_build_time_seconds, 0) as total_build_time_seconds,
        build_totals.p50_build_duration_seconds,
        build_totals.p90_build_duration_seconds,
        build_totals.p95_build_duration_seconds,
        build_totals.p99_build_duration_seconds,
        coalesce(request_totals.unique_clients, 0) as unique_clients,
        coalesce(request_totals.diff_packages_true, 0) as diff_packages_true,
        coalesce(request_totals.diff_packages_false, 0) as diff_packages_false,
        request_totals.diff_packages_true::double precision
        / nullif(request_totals.total_requests, 0) as diff_packages_share,
        build_totals.max_queue_length,
        {{ period_is_complete('days.period_start', 'days.period_start') }} as is_complete
    from days
    left join request_totals on days.period_start = request_totals.period_start
    left join build_totals on days.period_start = build_totals.period_start
    left join coverage on true

)

select * from final
