{{ config(materialized='view') }}

with source as (

    {{ current_versions(
        source('registry', 'module_dependencies'),
        ['module_name', 'version', 'depends_on_module']
    ) }}

),

renamed as (

    select
        module_name,
        version,
        depends_on_module,
        _loaded_at as valid_from
    from source

)

select * from renamed
