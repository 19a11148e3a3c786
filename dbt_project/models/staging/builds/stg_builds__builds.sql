{{ config(indexes=[{'columns': ['event_date']}]) }}

with source as (

    {{ windowed_events(source('builds', 'build_events'), 'started_at') }}

),

renamed as (

    select
        event_id,
        started_at,
        finished_at,
        (started_at at time zone 'UTC')::date as event_date,
        request_hash,
        client,
        duration_seconds,
        status::text as status,
        status = 'success' as is_success,
        status in ('failure', 'timeout', 'cancelled') as is_failure,
        error_category::text as error_category,
        error_type,
        error_message,
        cache_hit as is_cache_hit,
        worker_id,
        queue_length,
        _loaded_at as loaded_at
    from source

)

select * from renamed
