{{ config(unique_key='as_of_date') }}

{#-
    The seed's GET /api/v1/stats/overview?days=N for N = 7, 30 and 90, as of each snapshot
    day: one row per (as_of_date, period_days), over the days as_of_date - N + 1 .. as_of_date.
-#}

{%- set as_of_dates = get_snapshot_dates(90, 'builds') %}

with lengths as (

    select * from {{ build_period_lengths() }}

),

recent_requests as (

    {{ rows_as_of(ref('stg_builds__requests'), 90, as_of_dates, 'event_date') }}

),

recent_builds as (

    {{ rows_as_of(ref('stg_builds__builds'), 90, as_of_dates, 'event_date') }}

),

requests as (

    select
        recent_requests.*,
        lengths.period_days
    from recent_requests
    inner join lengths on recent_requests.event_date > recent_requests.as_of_date - lengths.period_days

),

builds as (

    select
        recent_builds.*,
        lengths.period_days
    from recent_builds
    inner join lengths on recent_builds.event_date > recent_builds.as_of_date - lengths.period_days

),

request_totals as (

    select
        as_of_date,
        period_days,
        count(*) as total_requests,
        count(distinct request_hash) as unique_requests,
        count(*) filter (where is_cache_hit) as cache_hits,
        count(distinct client) as unique_clients,
        count(*) filter (where is_diff_packages) as diff_packages_enabled,
        count(*) filter (where not is_diff_packages) as diff_packages_disabled
    from requests
    group by as_of_date, period_days

),

build_totals as (

    select
        as_of_date,
        period_days,
        count(*) filter (where is_success) as successful_builds,
        count(*) filter (where is_failure) as failed_builds,
        avg(duration_seconds)::double precision as avg_duration_seconds,
        percentile_cont(0.5) within group (order by duration_seconds) as median_duration_seconds,
        percentile_cont(0.95) within group (order by duration_seconds) as p95_duration_seconds,
        coalesce(sum(duration_seconds), 0) / 3600.0 as total_build_hours
    from builds
    group by as_of_date, period_days

),

top_clients as (

    {{ build_top_five('requests', 'client') }}

),

top_versions as (

    {{ build_top_five('requests', 'version') }}

),

top_targets as (

    {{ build_top_five('requests', 'target') }}

),

final as (

    select
        as_of.as_of_date,
        lengths.period_days,
        as_of.as_of_date - lengths.period_days + 1 as period_start,
        coalesce(request_totals.total_requests, 0) as total_requests,
        coalesce(request_totals.unique_requests, 0) as unique_requests,
        coalesce(request_totals.cache_hits, 0) as cache_hits,
        request_totals.cache_hits::double precision
        / nullif(request_totals.total_requests, 0) as cache_hit_rate,
        coalesce(build_totals.successful_builds, 0) as successful_builds,
        coalesce(build_totals.failed_builds, 0) as failed_builds,
        build_totals.successful_builds::double precision
        / nullif(build_totals.successful_builds + build_totals.failed_builds, 0) as success_rate,
        build_totals.avg_duration_seconds,
        build_totals.median_duration_seconds,
        build_totals.p95_duration_seconds,
        coalesce(build_totals.total_build_hours, 0)::double precision as total_build_hours,
        coalesce(request_totals.unique_clients, 0) as unique_clients,
        coalesce(top_clients.top_five, '[]') as top_clients,
        coalesce(top_versions.top_five, '[]') as top_versions,
        coalesce(top_targets.top_five, '[]') as top_targets,
        coalesce(request_totals.diff_packages_enabled, 0) as diff_packages_enabled,
        coalesce(request_totals.diff_packages_disabled, 0) as diff_packages_disabled,
        request_totals.diff_packages_enabled::double precision
        / nullif(request_totals.total_requests, 0) as diff_packages_share
    from {{ as_of_dates_relation(as_of_dates) }} as as_of
    cross join lengths
    left join request_totals
        on
            as_of.as_of_date = request_totals.as_of_date
            and lengths.period_days = request_totals.period_days
    left join build_totals
        on
            as_of.as_of_date = build_totals.as_of_date
            and lengths.period_days = build_totals.period_days
    left join top_clients
        on
            as_of.as_of_date = top_clients.as_of_date
            and lengths.period_days = top_clients.period_days
    left join top_versions
        on
            as_of.as_of_date = top_versions.as_of_date
            and lengths.period_days = top_versions.period_days
    left join top_targets
        on
            as_of.as_of_date = top_targets.as_of_date
            and lengths.period_days = top_targets.period_days

)

select * from final
