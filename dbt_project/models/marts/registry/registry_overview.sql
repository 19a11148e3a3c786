{{ config(unique_key='as_of_date') }}

with as_of as (

    select {{ as_of_date('registry') }} as as_of_date

),

modules as (

    select * from {{ ref('stg_registry__modules') }}

),

versions as (

    select * from {{ ref('stg_registry__module_versions') }}

),

daily as (

    {{ rows_as_of(ref('module_stats_daily'), 30, 'registry') }}

),

recent_activity as (

    {%- for model in ['stg_registry__download_events', 'stg_registry__module_view_events',
                      'stg_registry__compilation_events'] %}
        select events.user_id
        from ({{ rows_as_of(ref(model), 7, 'registry', 'event_date') }}) as events
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

download_totals as (

    select
        coalesce(sum(download_count), 0)::bigint as downloads_30d,
        sum(cache_hit_download_count)::double precision
        / nullif(sum(download_count), 0) as cache_hit_rate_30d
    from daily

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
        download_totals.downloads_30d,
        (select count(distinct recent_activity.user_id) from recent_activity) as active_users_7d,
        download_totals.cache_hit_rate_30d
    from as_of
    cross join download_totals

)

select * from final
