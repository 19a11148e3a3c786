{{ config(materialized='view') }}

with source as (

    {{ current_versions(source('registry', 'module_versions'), ['module_name', 'version']) }}

),

renamed as (

    select
        module_name,
        version,
        created_at,
        {{ utc_date('created_at') }} as created_date,
        created_by as created_by_user_id,
        is_breaking_change,
        size_bytes,
        _loaded_at as valid_from
    from source

)

select * from renamed
