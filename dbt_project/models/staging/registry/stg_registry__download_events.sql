{{ config(indexes=[{'columns': ['event_date']}, {'columns': ['module_name', 'event_date']}]) }}

with source as (

    {{ windowed_events(source('registry', 'download_events'), 'downloaded_at') }}

),

renamed as (

    select
        event_id,
        downloaded_at,
        {{ utc_date('downloaded_at') }} as event_date,
        user_id,
        organization_id,
        module_name,
        version,
        language,
        file_size as file_size_bytes,
        duration_ms,
        success as is_success,
        error_message,
        cache_hit as is_cache_hit,
        {{ salted_hash('ip_address') }} as client_ip_hash,
        {{ client_family('user_agent') }} as client_family,
        {{ client_name('user_agent') }} as client_name,
        client_sdk,
        client_version,
        _loaded_at as loaded_at
    from source

)

select * from renamed
