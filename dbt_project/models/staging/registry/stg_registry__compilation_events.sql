{{ config(indexes=[{'columns': ['event_date']}, {'columns': ['language', 'event_date']}]) }}

{%- set window = event_window() %}

with source as (

    select * from {{ source('registry', 'compilation_events') }}
    where {{ in_window('started_at', window, 'timestamp') }}

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by _loaded_at, started_at) as occurrence
    from source

),

renamed as (

    select
        event_id,
        started_at,
        completed_at,
        (started_at at time zone 'UTC')::date as event_date,
        organization_id,
        user_id,
        module_name,
        version,
        language,
        duration_ms,
        success as is_success,
        error_message,
        error_type,
        cache_hit as is_cache_hit,
        file_count,
        output_size as output_size_bytes,
        compiler_version,
        _loaded_at as loaded_at
    from deduplicated
    where occurrence = 1

)

select * from renamed
