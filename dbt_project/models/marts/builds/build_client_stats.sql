{{ config(indexes=[{'columns': ['client', 'period_start']}]) }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with requests as (

    select * from {{ ref('stg_builds__requests') }}
    where {{ in_window('event_date', window) }}

),

staged_builds as (

    select * from {{ ref('stg_builds__builds') }}
    where {{ in_window('event_date', window) }}

),

{{ build_request_shapes('staged_builds') }}

builds as (

    select * from staged_builds_described

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'builds'

),

request_totals as (

    select
        event_date as period_start,
        client,
        version,
        count(*) as total_requests,
        count(distinct request_hash) as unique_builds,
        count(*) filter (where is_cache_hit) as cache_hits,
        count(*) filter (where not is_cache_hit) as queued_requests
    from requests
    group by event_date, client, version

),

build_totals as (

    select
        event_date as period_start,
        client,
        version,
        count(*) as build_count,
        count(*) filter (where status = 'building') as building_builds,
        count(*) filter (where is_success) as successful_builds,
        count(*) filter (where is_failure) as failed_builds
    from builds
    group by event_date, client, version

),

keys as (

    select
        period_start,
        client,
        version
    from request_totals
    union
    select
        period_start,
        client,
        version
    from build_totals

),

combined as (

    select
        keys.period_start,
        keys.client,
        keys.version,
        coalesce(request_totals.total_requests, 0) as total_requests,
        coalesce(request_totals.unique_builds, 0) as unique_builds,
        coalesce(request_totals.cache_hits, 0) as cache_hits,
        coalesce(request_totals.queued_requests, 0) as queued_requests,
        coalesce(build_totals.build_count, 0) as build_count,
        coalesce(build_totals.building_builds, 0) as building_builds,
        coalesce(build_totals.successful_builds, 0) as successful_builds,
        coalesce(build_totals.failed_builds, 0) as failed_builds
    from keys
    left join request_totals
        on {{ build_keys_match('keys', 'request_totals', ['period_start', 'client', 'version']) }}
    left join build_totals
        on {{ build_keys_match('keys', 'build_totals', ['period_start', 'client', 'version']) }}

),

final as (

    select
        combined.*,
        combined.cache_hits::double precision
        / nullif(combined.total_requests, 0) as cache_hit_rate,
        combined.successful_builds::double precision
        / nullif(combined.successful_builds + combined.failed_builds, 0) as success_rate,
        {{ period_is_complete('combined.period_start', 'combined.period_start') }} as is_complete
    from combined
    left join coverage on true

)

select * from final
