{{ config(materialized='view') }}

with source as (

    select * from {{ source('registry', 'module_dependencies') }}

),

renamed as (

    select
        module_name,
        version,
        depends_on_module
    from source

)

select * from renamed
