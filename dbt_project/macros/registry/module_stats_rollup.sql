{#-
    module_stats_daily / _weekly / _monthly: one macro, one grain parameter.

    Every metric is computed from the staged events of the period, so distinct counts
    (unique users, unique orgs) are exact at each grain and never summed across days.
    The window is widened to whole periods, so a run touching one day of a week recomputes
    that whole week (and any period still marked incomplete).
-#}
{% macro module_stats_rollup(grain) %}

{%- set window = get_event_window(grain, reopen_incomplete=true) %}

with activity as (

    select * from {{ ref('int_registry__activity') }}
    where {{ in_window('event_date', window) }}

),

downloads as (

    select * from {{ ref('stg_registry__download_events') }}
    where {{ in_window('event_date', window) }}

),

compilations as (

    select * from {{ ref('stg_registry__compilation_events') }}
    where {{ in_window('event_date', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'registry'

),

audience as (

    select
        {{ truncate_to_period('event_date', grain) }} as period_start,
        module_name,
        count(*) filter (where activity_type = 'view') as view_count,
        count(distinct user_id) as unique_users,
        count(distinct organization_id) as unique_orgs
    from activity
    group by 1, 2

),

download_totals as (

    select
        {{ truncate_to_period('event_date', grain) }} as period_start,
        module_name,
        count(*) filter (where is_success) as download_count,
        count(*) filter (where not is_success) as failed_download_count,
        count(*) filter (where is_success and is_cache_hit) as cache_hit_download_count,
        sum(file_size_bytes) filter (where is_success) as total_download_bytes
    from downloads
    group by 1, 2

),

compilation_totals as (

    select
        {{ truncate_to_period('event_date', grain) }} as period_start,
        module_name,
        count(*) as compilation_count,
        count(*) filter (where is_success) as compilation_success_count,
        avg(duration_ms)::{{ type_double() }} as avg_compilation_duration_ms
    from compilations
    group by 1, 2

),

final as (

    select
        audience.period_start,
        {{ period_end_of('audience.period_start', grain) }} as period_end,
        audience.module_name,
        audience.view_count,
        coalesce(download_totals.download_count, 0) as download_count,
        coalesce(download_totals.failed_download_count, 0) as failed_download_count,
        coalesce(download_totals.cache_hit_download_count, 0) as cache_hit_download_count,
        audience.unique_users,
        audience.unique_orgs,
        coalesce(compilation_totals.compilation_count, 0) as compilation_count,
        coalesce(compilation_totals.compilation_success_count, 0) as compilation_success_count,
        coalesce(download_totals.total_download_bytes, 0)::bigint as total_download_bytes,
        compilation_totals.avg_compilation_duration_ms,
        {{ period_is_complete(
            'audience.period_start', period_end_of('audience.period_start', grain)
        ) }} as is_complete
    from audience
    left join coverage on true
    left join download_totals
        on audience.period_start = download_totals.period_start
        and audience.module_name = download_totals.module_name
    left join compilation_totals
        on audience.period_start = compilation_totals.period_start
        and audience.module_name = compilation_totals.module_name

)

select * from final

{% endmacro %}
