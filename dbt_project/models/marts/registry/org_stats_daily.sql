{{ config(
    unique_key='period_start',
    tags=['daily'],
    indexes=[{'columns': ['period_start']}, {'columns': ['organization_id', 'period_start']}],
) }}

{%- set window = event_window('day', 'period_start', reopen_incomplete=true) %}

with downloads as (

    select * from {{ ref('stg_registry__download_events') }}
    where {{ in_window('event_date', window) }} and organization_id is not null

),

views as (

    select * from {{ ref('stg_registry__module_view_events') }}
    where {{ in_window('event_date', window) }} and organization_id is not null

),

compilations as (

    select * from {{ ref('stg_registry__compilation_events') }}
    where {{ in_window('event_date', window) }} and organization_id is not null

),

modules as (

    select * from {{ ref('stg_registry__modules') }}

),

versions as (

    select * from {{ ref('stg_registry__module_versions') }}

),

org_versions as (

    select
        modules.organization_id,
        versions.created_date,
        versions.size_bytes
    from versions
    inner join modules on versions.module_name = modules.module_name

),

requests as (

    select
        event_date,
        organization_id,
        user_id,
        'download' as kind,
        is_success
    from downloads
    union all
    select
        event_date,
        organization_id,
        user_id,
        'view' as kind,
        true as is_success
    from views
    union all
    select
        event_date,
        organization_id,
        user_id,
        'compilation' as kind,
        is_success
    from compilations

),

request_totals as (

    select
        event_date as period_start,
        organization_id,
        count(*) as api_requests,
        count(*) filter (where kind = 'download' and is_success) as downloads,
        count(*) filter (where kind = 'compilation') as compilations,
        count(distinct user_id) as active_users
    from requests
    group by 1, 2

),

module_creations as (

    select
        created_date as period_start,
        organization_id,
        count(*) as modules_created
    from modules
    where {{ in_window('created_date', window) }}
    group by 1, 2

),

version_creations as (

    select
        created_date as period_start,
        organization_id,
        count(*) as versions_created
    from org_versions
    where {{ in_window('created_date', window) }}
    group by 1, 2

),

org_days as (

    select
        period_start,
        organization_id
    from request_totals
    union
    select
        period_start,
        organization_id
    from module_creations
    union
    select
        period_start,
        organization_id
    from version_creations

),

horizon as (

    select {{ complete_through('registry') }} as complete_through

),

final as (

    select
        org_days.period_start,
        org_days.organization_id,
        coalesce(request_totals.api_requests, 0) as api_requests,
        coalesce(request_totals.downloads, 0) as downloads,
        coalesce(request_totals.compilations, 0) as compilations,
        (
            select coalesce(sum(org_versions.size_bytes), 0)
            from org_versions
            where
                org_versions.organization_id = org_days.organization_id
                and org_versions.created_date <= org_days.period_start
        )::bigint as storage_bytes,
        coalesce(request_totals.active_users, 0) as active_users,
        coalesce(module_creations.modules_created, 0) as modules_created,
        coalesce(version_creations.versions_created, 0) as versions_created,
        coalesce(org_days.period_start <= horizon.complete_through, false) as is_complete
    from org_days
    cross join horizon
    left join request_totals
        on
            org_days.period_start = request_totals.period_start
            and org_days.organization_id = request_totals.organization_id
    left join module_creations
        on
            org_days.period_start = module_creations.period_start
            and org_days.organization_id = module_creations.organization_id
    left join version_creations
        on
            org_days.period_start = version_creations.period_start
            and org_days.organization_id = version_creations.organization_id

)

select * from final
