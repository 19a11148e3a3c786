{{ config(unique_key='as_of_date', indexes=[{'columns': ['module_name', 'version', 'as_of_date']}]) }}

{#-
    The seed's 0-100 health score (formula health-v1), every component next to the total.
    Components are 0-100, higher is healthier; docs/HEALTH in _models.yml defines each.
-#}

with inputs as (

    select * from {{ ref('int_registry__version_health_inputs') }}

),

shape as (

    select
        *,
        case
            when message_count > 0 then field_count::numeric / message_count else 0
        end as avg_fields_per_message,
        breaking_changes_90d / 3.0 as breaking_changes_per_month
    from inputs

),

components as (

    select
        *,
        -- complexity 0-100: entities, fields per entity, nesting depth (higher = more complex)
        least(
            100,
            40 * least(message_count / 20.0, 1)
            + 35 * least(avg_fields_per_message / 25.0, 1)
            + 25 * least(max_nesting_depth / 5.0, 1)
        ) as complexity,
        -- maintainability 0-100: wide messages, deep nesting and many imports cost points
        100
        - 50 * least(avg_fields_per_message / 30.0, 1)
        - 30 * least(max_nesting_depth / 6.0, 1)
        - 20 * least(dependency_count / 10.0, 1) as maintainability_score,
        case
            when field_count > 0 then 100 * (1 - unused_field_count::numeric / field_count)
            else 100
        end as unused_field_score,
        case
            when field_count > 0 then 100 * (1 - deprecated_field_count::numeric / field_count)
            else 100
        end as deprecated_field_score,
        greatest(0, 100 - 25 * breaking_changes_per_month) as breaking_change_score
    from shape

),

scored as (

    select
        *,
        100 - complexity as complexity_score,
        0.25 * (100 - complexity)
        + 0.35 * maintainability_score
        + 0.15 * unused_field_score
        + 0.10 * deprecated_field_score
        + 0.15 * breaking_change_score as health_score
    from components

),

final as (

    select
        as_of_date,
        module_name,
        version,
        is_latest_version,
        round(health_score, 2)::numeric(5, 2) as health_score,
        case
            when health_score >= 80 then 'healthy'
            when health_score >= 50 then 'fair'
            else 'poor'
        end as health_band,
        round(complexity, 2)::numeric(5, 2) as complexity,
        round(complexity_score, 2)::numeric(5, 2) as complexity_score,
        round(maintainability_score, 2)::numeric(5, 2) as maintainability_score,
        round(unused_field_score, 2)::numeric(5, 2) as unused_field_score,
        round(deprecated_field_score, 2)::numeric(5, 2) as deprecated_field_score,
        round(breaking_change_score, 2)::numeric(5, 2) as breaking_change_score,
        message_count,
        field_count,
        round(avg_fields_per_message, 2)::numeric(8, 2) as avg_fields_per_message,
        max_nesting_depth,
        unused_field_count,
        deprecated_field_count,
        round(breaking_changes_per_month, 2)::numeric(8, 2) as breaking_changes_per_month,
        dependency_count,
        dependent_count,
        array_remove(array[
            case when complexity > 70 then 'split_large_module' end,
            case when unused_field_count > 5 then 'remove_unused_fields' end,
            case when deprecated_field_count > 3 then 'clean_up_deprecations' end,
            case when breaking_changes_per_month > 2 then 'reduce_breaking_changes' end,
            case
                when dependent_count >= {{ var('high_impact_dependents') }}
                    then 'coordinate_with_dependents'
            end
        ], null)::text [] as recommendations,
        'health-v1'::text as formula_version
    from scored

)

select * from final
