{#-
    Everything the health score of a module version needs, as of the snapshot day: the shape of
    its schema, its unused and deprecated fields, the module's recent breaking changes, and
    how many modules depend on it.
-#}

with as_of as (

    select {{ as_of_date('registry') }} as as_of_date

),

versions as (

    select module_versions.*
    from {{ ref('stg_registry__module_versions') }} as module_versions
    cross join as_of
    where module_versions.created_date <= as_of.as_of_date

),

fields as (

    select * from {{ ref('stg_registry__schema_fields') }}

),

dependencies as (

    select * from {{ ref('stg_registry__module_dependencies') }}

),

recent_field_usage as (

    select distinct
        usage.module_name,
        usage.version,
        usage.message_name,
        usage.field_name
    from (
        {{ rows_as_of(
            ref('stg_registry__field_usage_events'), var('unused_field_days'), 'registry',
            'event_date'
        ) }}
    ) as usage

),

schema_shape as (

    select
        fields.module_name,
        fields.version,
        count(distinct fields.message_name) as message_count,
        count(*) as field_count,
        max(fields.nesting_depth) as max_nesting_depth,
        count(*) filter (where fields.is_deprecated) as deprecated_field_count,
        count(*) filter (where recent_field_usage.field_name is null) as unused_field_count
    from fields
    left join recent_field_usage
        on
            fields.module_name = recent_field_usage.module_name
            and fields.version = recent_field_usage.version
            and fields.message_name = recent_field_usage.message_name
            and fields.field_name = recent_field_usage.field_name
    group by fields.module_name, fields.version

),

breaking_changes as (

    select
        versions.module_name,
        count(*) filter (
            where versions.is_breaking_change
            and versions.created_date > as_of.as_of_date - 90
        ) as breaking_changes_90d
    from versions
    cross join as_of
    group by versions.module_name

),

latest_versions as (

    select distinct on (module_name)
        module_name,
        version
    from versions
    order by module_name asc, created_at desc

),

dependents as (

    select
        dependencies.depends_on_module as module_name,
        count(distinct dependencies.module_name) as dependent_count
    from dependencies
    inner join latest_versions
        on
            dependencies.module_name = latest_versions.module_name
            and dependencies.version = latest_versions.version
    group by dependencies.depends_on_module

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
        as_of.as_of_date,
        versions.module_name,
        versions.version,
        versions.version = latest_versions.version as is_latest_version,
        coalesce(schema_shape.message_count, 0) as message_count,
        coalesce(schema_shape.field_count, 0) as field_count,
        coalesce(schema_shape.max_nesting_depth, 0) as max_nesting_depth,
        coalesce(schema_shape.deprecated_field_count, 0) as deprecated_field_count,
        coalesce(schema_shape.unused_field_count, 0) as unused_field_count,
        coalesce(breaking_changes.breaking_changes_90d, 0) as breaking_changes_90d,
        coalesce(imports.dependency_count, 0) as dependency_count,
        coalesce(dependents.dependent_count, 0) as dependent_count
    from versions
    cross join as_of
    left join schema_shape
        on
            versions.module_name = schema_shape.module_name
            and versions.version = schema_shape.version
    left join breaking_changes on versions.module_name = breaking_changes.module_name
    left join latest_versions on versions.module_name = latest_versions.module_name
    left join dependents on versions.module_name = dependents.module_name
    left join imports
        on
            versions.module_name = imports.module_name
            and versions.version = imports.version

)

select * from final
