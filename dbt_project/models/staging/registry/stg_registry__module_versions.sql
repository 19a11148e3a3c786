{{ config(materialized='view') }}

with source as (

    select * from {{ source('registry', 'module_versions') }}

),

renamed as (

    select
        module_name,
        version,
        created_at,
        (created_at at time zone 'UTC')::date as created_date,
        created_by as created_by_user_id,
        is_breaking_change,
        size_bytes
    from source

)

select * from renamed
