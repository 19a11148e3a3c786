{{ config(materialized='view') }}

with source as (

    {{ current_versions(source('registry', 'module_versions'), ['module_name', 'version']) }}

),

renamed as (

    select
        module_name,
        version,
        created_at,
        (created_at at time zone 'UTC')::date as created_date,
        created_by as created_by_user_id,
        is_breaking_change,
        size_bytes,
        _loaded_at as valid_from
    from source

)

select * from renamed
