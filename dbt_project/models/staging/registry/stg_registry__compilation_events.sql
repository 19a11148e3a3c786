{{ config(indexes=[{'columns': ['event_date']}, {'columns': ['language', 'event_date']}]) }}

with source as (

    {{ windowed_events(source('registry', 'compilation_events'), 'started_at') }}

),

renamed as (

    select
        event_id,
        started_at,
        completed_at,
        {{ utc_date('started_at') }} as event_date,
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
    from source

)

select * from renamed
