{{ config(indexes=[
    {'columns': ['event_date']},
    {'columns': ['executed_at']},
    {'columns': ['trigger_id', 'executed_at']},
]) }}

with source as (

    {{ windowed_events(source('actions', 'action_results'), 'executed_at') }}

),

renamed as (

    select
        event_id,
        executed_at,
        (executed_at at time zone 'UTC')::date as event_date,
        date_trunc('hour', executed_at at time zone 'UTC') as hour_start,
        trigger_id,
        organization_id,
        action_type::text as action_type,
        status::text as status,
        status = 'success' as is_success,
        status in ('failure', 'timeout') as is_failure,
        duration_ms,
        coalesce(retry_count, 0) as retry_count,
        {{ redacted_error_message('error_message') }} as error_message,
        {{ reduced_response_data('response_data') }} as response_data,
        _loaded_at as loaded_at
    from source

)

select * from renamed
