{{ config(indexes=[
    {'columns': ['event_date']},
    {'columns': ['module_name', 'version', 'message_name', 'field_name']},
]) }}

{%- set window = event_window() %}

with source as (

    select * from {{ source('registry', 'field_usage_events') }}
    where {{ in_window('used_at', window, 'timestamp') }}

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by _loaded_at, used_at) as occurrence
    from source

),

renamed as (

    select
        event_id,
        used_at,
        (used_at at time zone 'UTC')::date as event_date,
        organization_id,
        module_name,
        version,
        message_name,
        field_name,
        _loaded_at as loaded_at
    from deduplicated
    where occurrence = 1

)

select * from renamed
