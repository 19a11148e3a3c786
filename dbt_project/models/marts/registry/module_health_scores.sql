{#- The contract's primary key (as_of_date, module_name, version) is the index the delete of
    a snapshot day reads: a second index of the same columns only doubled every write. -#}
{{ config(unique_key='as_of_date', partition_by='as_of_date') }}

{#-
    The seed's 0-100 health score (formula health-v1) of every version published by each
    snapshot day, every component next to the total. Components are 0-100, higher is
    healthier; the model description in _registry__models.yml defines each. What depends on
    the snapshot day (the versions published by then, unused fields, breaking changes of the
    last 90 days, dependents) is computed here, so the scores always belong to as_of_date.
-#}

{%- set as_of_dates = get_snapshot_dates(var('unused_field_days'), 'registry') %}

with as_of as (

    select * from {{ as_of_dates_relation(as_of_dates) }}

),

versions as (

    select * from {{ ref('stg_registry__module_versions') }}

),

schema_shape as (

    select * from {{ ref('int_registry__version_schema_shape') }}

),

fields as (

    select * from {{ ref('stg_registry__schema_fields') }}

),

dependencies as (

    select * from {{ ref('stg_registry__module_dependencies') }}

),

field_usage as (

    {{ rows_as_of(
        ref('stg_registry__field_usage_events'), var('unused_field_days'), as_of_dates,
        'event_date'
    ) }}

),

published as (

    {#- Every version published by each snapshot day, with what the day decides about its
        module: the breaking changes of the 90 days before, and which version is newest. -#}
    select
        as_of.as_of_date,
        versions.module_name,
        versions.version,
        sum(
            case
                when
                    versions.is_breaking_change
                    and versions.created_date > as_of.as_of_date - 90
                    then 1
                else 0
            end
        ) over (partition by as_of.as_of_date, versions.module_name) as breaking_changes_90d,
        first_value(versions.version) over (
            partition by as_of.as_of_date, versions.module_name
            order by versions.created_at desc
        ) as latest_version
    from as_of
    inner join versions on as_of.as_of_date >= versions.created_date

),

field_reads as (

    {#- Each field read in the window of each snapshot day, once. -#}
    select distinct
        as_of_date,
        module_name,
        version,
        message_name,
        field_name
    from field_usage

),

known_fields as {{ materialized_cte() }} (

    {#- The read fields the schema has (a read of a field it does not have counts for
        nothing), each looked up once through the catalog's key (an index probe each:
        joining the whole field catalog cost more than the rest of the model; materialized,
        or the planner probes once per snapshot day and read). -#}
    select
        reads.module_name,
        reads.version,
        reads.message_name,
        reads.field_name
    from (
        select distinct
            module_name,
            version,
            message_name,
            field_name
        from field_reads
    ) as reads
    cross join lateral (
        select true as is_known
        from fields
        where
            fields.module_name = reads.module_name
            and fields.version = reads.version
            and fields.message_name = reads.message_name
            and fields.field_name = reads.field_name
        -- At most one row per key; the limit keeps the lookup a probe of the key's index.
        limit 1  -- noqa: AM09
    ) as known

),

used_fields as (

    {#- The fields of each version read in the window of each snapshot day. -#}
    select
        field_reads.as_of_date,
        field_reads.module_name,
        field_reads.version,
        count(*) as used_field_count
    from field_reads
    inner join known_fields
        on
            field_reads.module_name = known_fields.module_name
            and field_reads.version = known_fields.version
            and field_reads.message_name = known_fields.message_name
            and field_reads.field_name = known_fields.field_name
    group by field_reads.as_of_date, field_reads.module_name, field_reads.version

),

dependents as (

    select
        published.as_of_date,
        dependencies.depends_on_module as module_name,
        count(distinct dependencies.module_name) as dependent_count
    from published
    inner join dependencies
        on
            published.module_name = dependencies.module_name
            and published.version = dependencies.version
    where published.version = published.latest_version
    group by published.as_of_date, dependencies.depends_on_module

),

inputs as (

    select
        published.as_of_date,
        published.module_name,
        published.version,
        published.version = published.latest_version as is_latest_version,
        schema_shape.message_count,
        schema_shape.field_count,
        schema_shape.max_nesting_depth,
        schema_shape.deprecated_field_count,
        schema_shape.field_count - coalesce(used_fields.used_field_count, 0) as unused_field_count,
        published.breaking_changes_90d,
        schema_shape.dependency_count,
        coalesce(dependents.dependent_count, 0) as dependent_count
    from published
    inner join schema_shape
        on
            published.module_name = schema_shape.module_name
            and published.version = schema_shape.version
    left join used_fields
        on
            published.as_of_date = used_fields.as_of_date
            and published.module_name = used_fields.module_name
            and published.version = used_fields.version
    left join dependents
        on
            published.as_of_date = dependents.as_of_date
            and published.module_name = dependents.module_name

),

shape as (

    select
        *,
        case
            when message_count > 0 then {{ exact_number('field_count') }} / message_count else 0
        end as avg_fields_per_message,
        {{ exact_number('breaking_changes_90d') }} / 3.0 as breaking_changes_per_month
    from inputs

),

components as {{ materialized_cte() }} (

    {#- Materialized, as scored is: inlined, every mention of a component in the formula and
        in final (the score, its band, the recommendations) recomputed it in numeric
        arithmetic, a third of the model's time. -#}
    select
        *,
        -- complexity 0-100: entities, fields per entity, nesting depth (higher = more complex)
        least(
            100,
            40 * least({{ exact_number('message_count') }} / 20.0, 1)
            + 35 * least(avg_fields_per_message / 25.0, 1)
            + 25 * least({{ exact_number('max_nesting_depth') }} / 5.0, 1)
        ) as complexity,
        -- maintainability 0-100: wide messages, deep nesting and many imports cost points
        100
        - 50 * least(avg_fields_per_message / 30.0, 1)
        - 30 * least({{ exact_number('max_nesting_depth') }} / 6.0, 1)
        - 20 * least({{ exact_number('dependency_count') }} / 10.0, 1) as maintainability_score,
        case
            when field_count > 0 then 100 * (1 - {{ exact_number('unused_field_count') }} / field_count)
            else 100
        end as unused_field_score,
        case
            when field_count > 0 then 100 * (1 - {{ exact_number('deprecated_field_count') }} / field_count)
            else 100
        end as deprecated_field_score,
        greatest(0, 100 - 25 * breaking_changes_per_month) as breaking_change_score
    from shape

),

scored as {{ materialized_cte() }} (

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
        {{ round_half_up('health_score', 2) }}::numeric(5, 2) as health_score,
        case
            when {{ round_half_up('health_score', 2) }} >= 80 then 'healthy'
            when {{ round_half_up('health_score', 2) }} >= 50 then 'fair'
            else 'poor'
        end as health_band,
        {{ round_half_up('complexity', 2) }}::numeric(5, 2) as complexity,
        {{ round_half_up('complexity_score', 2) }}::numeric(5, 2) as complexity_score,
        {{ round_half_up('maintainability_score', 2) }}::numeric(5, 2) as maintainability_score,
        {{ round_half_up('unused_field_score', 2) }}::numeric(5, 2) as unused_field_score,
        {{ round_half_up('deprecated_field_score', 2) }}::numeric(5, 2) as deprecated_field_score,
        {{ round_half_up('breaking_change_score', 2) }}::numeric(5, 2) as breaking_change_score,
        message_count,
        field_count,
        {{ round_half_up('avg_fields_per_message', 2) }}::numeric(8, 2) as avg_fields_per_message,
        max_nesting_depth,
        unused_field_count,
        deprecated_field_count,
        {{ round_half_up('breaking_changes_per_month', 2) }}::numeric(8, 2) as breaking_changes_per_month,
        dependency_count,
        dependent_count,
        {{ text_array_without_nulls([
            "case when complexity > 70 then 'split_large_module' end",
            "case when unused_field_count > 5 then 'remove_unused_fields' end",
            "case when deprecated_field_count > 3 then 'clean_up_deprecations' end",
            "case when breaking_changes_per_month > 2 then 'reduce_breaking_changes' end",
            "case when dependent_count >= " ~ var('high_impact_dependents')
            ~ " then 'coordinate_with_dependents' end",
        ]) }} as recommendations,
        cast('health-v1' as {{ type_text() }}) as formula_version
    from scored

)

select * from final
