{{ config(materialized='view') }}

with source as (

    {{ current_versions(source('actions', 'triggers'), ['trigger_id']) }}

),

renamed as (

    select
        trigger_id,
        organization_id,
        name as trigger_name,
        event_type,
        action_type::text as action_type,
        is_active,
        created_at,
        _loaded_at as valid_from
    from source

)

select * from renamed
