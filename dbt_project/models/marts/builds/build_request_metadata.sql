{#-
    The seed's request_metadata, one row per request hash over all history: a view over the
    daily rows of build_request_stats_daily (which keep their history when raw's detailed
    rows are dropped), so no run ever rescans the history; one hash is an index range.
-#}
{{ config(materialized='view') }}

with daily as (

    select * from {{ ref('build_request_stats_daily') }}

),

first_days as (

    select distinct on (request_hash)
        request_hash,
        version,
        target,
        profile,
        is_diff_packages,
        package_count,
        has_custom_repos,
        has_defaults,
        rootfs_size_mb
    from daily
    where first_requested_at is not null
    order by request_hash, first_requested_at

),

totals as (

    select
        request_hash,
        min(first_requested_at) as first_requested_at,
        max(last_requested_at) as last_requested_at,
        sum(total_requests)::bigint as total_requests,
        sum(cache_hits)::bigint as cache_hits,
        sum(successful_builds)::bigint as successful_builds,
        sum(failed_builds)::bigint as failed_builds
    from daily
    group by request_hash

),

final as (

    select
        totals.request_hash,
        first_days.version,
        first_days.target,
        first_days.profile,
        first_days.is_diff_packages,
        first_days.package_count,
        first_days.has_custom_repos,
        first_days.has_defaults,
        first_days.rootfs_size_mb,
        totals.first_requested_at,
        totals.last_requested_at,
        totals.total_requests,
        totals.cache_hits,
        totals.successful_builds,
        totals.failed_builds
    from totals
    left join first_days on totals.request_hash = first_days.request_hash

)

select * from final
