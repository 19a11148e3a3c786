{{ config(
    materialized='incremental',
    unique_key='created_date',
    indexes=[{'columns': ['module_name', 'version'], 'unique': true}, {'columns': ['created_date']}],
) }}

{#- The shape of every published version's schema, which no snapshot day changes: messages,
    fields, nesting, deprecated fields and imported modules. module_health_scores scores it.
    A table rebuilt only where a catalog load changed it (get_catalog_window), keyed by the
    version's creation day: counting the whole field catalog (every field of every version)
    in every run was most of a one-day run's time. -#}

{%- set window = get_catalog_window() %}

with fields as (

    select * from {{ ref('stg_registry__schema_fields') }}

),

dependencies as (

    select * from {{ ref('stg_registry__module_dependencies') }}

),

versions as (

    select * from {{ ref('stg_registry__module_versions') }}
    where {{ in_window('created_date', window) }}

),

field_totals as (

    select
        module_name,
        version,
        count(distinct message_name) as message_count,
        count(*) as field_count,
        max(nesting_depth) as max_nesting_depth,
        count(*) filter (where is_deprecated) as deprecated_field_count
    from fields
    group by module_name, version

),

imports as (

    select
        module_name,
        version,
        count(*) as dependency_count
    from dependencies
    group by module_name, version

),

final as (

    select
        versions.module_name,
        versions.version,
        versions.created_date,
        coalesce(field_totals.message_count, 0) as message_count,
        coalesce(field_totals.field_count, 0) as field_count,
        coalesce(field_totals.max_nesting_depth, 0) as max_nesting_depth,
        coalesce(field_totals.deprecated_field_count, 0) as deprecated_field_count,
        coalesce(imports.dependency_count, 0) as dependency_count
    from versions
    left join field_totals
        on
            versions.module_name = field_totals.module_name
            and versions.version = field_totals.version
    left join imports
        on
            versions.module_name = imports.module_name
            and versions.version = imports.version

)

select * from final
