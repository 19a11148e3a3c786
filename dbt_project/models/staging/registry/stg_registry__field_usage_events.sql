{{ config(indexes=[
    {'columns': ['event_date']},
    {'columns': ['module_name', 'version', 'message_name', 'field_name']},
]) }}

with source as (

    {{ windowed_events(source('registry', 'field_usage_events'), 'used_at') }}

),

renamed as (

    select
        event_id,
        used_at,
        {{ utc_date('used_at') }} as event_date,
        organization_id,
        module_name,
        version,
        message_name,
        field_name,
        _loaded_at as loaded_at
    from source

)

select * from renamed
