{{ config(materialized='view') }}

with source as (

    select * from {{ source('registry', 'schema_fields') }}

),

renamed as (

    select
        module_name,
        version,
        message_name,
        field_name,
        field_type,
        nesting_depth,
        is_deprecated
    from source

)

select * from renamed
