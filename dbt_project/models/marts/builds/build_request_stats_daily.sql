{{ config(indexes=[{'columns': ['request_hash', 'period_start']}]) }}

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

first_requests as (

    select distinct on (event_date, request_hash)
        event_date as period_start,
        request_hash,
        version,
        target,
        profile,
        is_diff_packages,
        package_count,
        has_custom_repos,
        has_defaults,
        rootfs_size_mb
    from requests
    order by event_date, request_hash, requested_at, event_id

),

request_totals as (

    select
        event_date as period_start,
        request_hash,
        min(requested_at) as first_requested_at,
        max(requested_at) as last_requested_at,
        count(*) as total_requests,
        count(*) filter (where is_cache_hit) as cache_hits
    from requests
    group by event_date, request_hash

),

build_totals as (

    select
        event_date as period_start,
        request_hash,
        count(*) filter (where is_success) as successful_builds,
        count(*) filter (where is_failure) as failed_builds
    from builds
    group by event_date, request_hash

),

keys as (

    select
        period_start,
        request_hash
    from request_totals
    union
    select
        period_start,
        request_hash
    from build_totals

),

final as (

    select
        keys.period_start,
        keys.request_hash,
        first_requests.version,
        first_requests.target,
        first_requests.profile,
        first_requests.is_diff_packages,
        first_requests.package_count,
        first_requests.has_custom_repos,
        first_requests.has_defaults,
        first_requests.rootfs_size_mb,
        request_totals.first_requested_at,
        request_totals.last_requested_at,
        coalesce(request_totals.total_requests, 0) as total_requests,
        coalesce(request_totals.cache_hits, 0) as cache_hits,
        coalesce(build_totals.successful_builds, 0) as successful_builds,
        coalesce(build_totals.failed_builds, 0) as failed_builds,
        {{ period_is_complete('keys.period_start', 'keys.period_start') }} as is_complete
    from keys
    left join request_totals
        on {{ build_keys_match('keys', 'request_totals', ['period_start', 'request_hash']) }}
    left join first_requests
        on {{ build_keys_match('keys', 'first_requests', ['period_start', 'request_hash']) }}
    left join build_totals
        on {{ build_keys_match('keys', 'build_totals', ['period_start', 'request_hash']) }}
    left join coverage on true

)

select * from final
