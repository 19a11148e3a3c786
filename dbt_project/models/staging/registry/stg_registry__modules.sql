{{ config(materialized='view') }}

with source as (

    {{ current_versions(source('registry', 'modules'), ['module_name']) }}

),

renamed as (

    select
        module_name,
        organization_id,
        created_at,
        {{ utc_date('created_at') }} as created_date,
        description,
        _loaded_at as valid_from
    from source

)

select * from renamed
