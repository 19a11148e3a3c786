{{ config(unique_key='as_of_date', partition_by='as_of_date') }}

{%- set as_of_dates = get_snapshot_dates(30, 'registry') %}

with as_of as (

    select * from {{ as_of_dates_relation(as_of_dates) }}

),

modules as (

    select * from {{ ref('stg_registry__modules') }}

),

versions as (

    select * from {{ ref('stg_registry__module_versions') }}

),

daily as (

    {{ rows_as_of(ref('module_stats_daily'), 30, as_of_dates) }}

),

recent_activity as (

    {{ rows_as_of(ref('int_registry__activity'), 7, as_of_dates, 'event_date') }}

),

download_totals as (

    select
        as_of_date,
        coalesce(sum(download_count), 0)::bigint as downloads_30d,
        sum(cache_hit_download_count)::{{ type_double() }}
        / nullif(sum(download_count), 0) as cache_hit_rate_30d
    from daily
    group by as_of_date

),

active_users as (

    select
        as_of_date,
        count(distinct user_id) as active_users_7d
    from recent_activity
    group by as_of_date

),

final as (

    select
        as_of.as_of_date,
        (
            select count(*) from modules
            where modules.created_date <= as_of.as_of_date
        ) as total_modules,
        (
            select count(*) from versions
            where versions.created_date <= as_of.as_of_date
        ) as total_versions,
        coalesce(download_totals.downloads_30d, 0) as downloads_30d,
        coalesce(active_users.active_users_7d, 0) as active_users_7d,
        download_totals.cache_hit_rate_30d
    from as_of
    left join download_totals on as_of.as_of_date = download_totals.as_of_date
    left join active_users on as_of.as_of_date = active_users.as_of_date

)

select * from final
