{{ config(indexes=[{'columns': ['organization_id', 'period_start']}]) }}

{#-
    Usage per organization and day. An organization has a row on a day of registry data (a
    day with any request) when it made requests or created modules or versions on it: the
    catalog's history before the data is not a day of data, so every build, windowed or not,
    agrees, and a late event on an older day brings that day's creations with it.
-#}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with activity as (

    select * from {{ ref('int_registry__activity') }}
    where {{ in_window('event_date', window) }}

),

modules as (

    select * from {{ ref('stg_registry__modules') }}

),

versions as (

    select * from {{ ref('stg_registry__module_versions') }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'registry'

),

data_days as (

    select distinct event_date as period_start from activity

),

org_versions as (

    select
        modules.organization_id,
        versions.created_date,
        versions.size_bytes
    from versions
    inner join modules on versions.module_name = modules.module_name

),

request_totals as (

    select
        event_date as period_start,
        organization_id,
        count(*) as api_requests,
        count(*) filter (where activity_type = 'download' and is_success) as downloads,
        count(*) filter (where activity_type = 'compilation') as compilations,
        count(distinct user_id) as active_users
    from activity
    where organization_id is not null
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

storage as (

    {#- Bytes of every version the organization published by the day: one join of its
        versions, not a scan of the whole catalog per organization and day. -#}
    select
        org_days.period_start,
        org_days.organization_id,
        coalesce(sum(org_versions.size_bytes), 0)::bigint as storage_bytes
    from org_days
    left join org_versions
        on
            org_days.organization_id = org_versions.organization_id
            and org_days.period_start >= org_versions.created_date
    group by 1, 2

),

final as (

    select
        org_days.period_start,
        org_days.organization_id,
        coalesce(request_totals.api_requests, 0) as api_requests,
        coalesce(request_totals.downloads, 0) as downloads,
        coalesce(request_totals.compilations, 0) as compilations,
        storage.storage_bytes,
        coalesce(request_totals.active_users, 0) as active_users,
        coalesce(module_creations.modules_created, 0) as modules_created,
        coalesce(version_creations.versions_created, 0) as versions_created,
        {{ period_is_complete('org_days.period_start', 'org_days.period_start') }} as is_complete
    from org_days
    inner join data_days on org_days.period_start = data_days.period_start
    inner join storage
        on
            org_days.period_start = storage.period_start
            and org_days.organization_id = storage.organization_id
    left join coverage on true
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
