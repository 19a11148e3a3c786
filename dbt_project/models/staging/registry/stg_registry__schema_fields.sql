{{ config(materialized='view') }}

with source as (

    {{ current_versions(
        source('registry', 'schema_fields'),
        ['module_name', 'version', 'message_name', 'field_name']
    ) }}

),

renamed as (

    select
        module_name,
        version,
        message_name,
        field_name,
        field_type,
        nesting_depth,
        is_deprecated,
        _loaded_at as valid_from
    from source

)

select * from renamed
