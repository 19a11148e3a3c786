{{ config(materialized='view') }}

with source as (

    select * from {{ source('registry', 'modules') }}

),

renamed as (

    select
        module_name,
        organization_id,
        created_at,
        (created_at at time zone 'UTC')::date as created_date,
        description
    from source

)

select * from renamed
