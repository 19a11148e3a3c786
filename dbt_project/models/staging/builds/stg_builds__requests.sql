{{ config(indexes=[
    {'columns': ['event_date']},
    {'columns': ['request_hash', 'requested_at']},
]) }}

with source as (

    {{ windowed_events(source('builds', 'build_requests'), 'requested_at') }}

),

renamed as (

    select
        event_id,
        requested_at,
        (requested_at at time zone 'UTC')::date as event_date,
        request_hash,
        client,
        version,
        target,
        profile,
        diff_packages as is_diff_packages,
        package_count,
        has_custom_repos,
        has_defaults,
        rootfs_size_mb,
        cache_hit as is_cache_hit,
        _loaded_at as loaded_at
    from source

)

select * from renamed
