{{ config(indexes=[{'columns': ['event_date']}, {'columns': ['module_name', 'event_date']}]) }}

{%- set window = event_window() %}

with source as (

    select * from {{ source('registry', 'download_events') }}
    where {{ in_window('downloaded_at', window, 'timestamp') }}

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by _loaded_at, downloaded_at) as occurrence
    from source

),

renamed as (

    select
        event_id,
        downloaded_at,
        (downloaded_at at time zone 'UTC')::date as event_date,
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
    from deduplicated
    where occurrence = 1

)

select * from renamed
