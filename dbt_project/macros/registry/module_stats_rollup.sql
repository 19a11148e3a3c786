{#-
    module_stats_daily / _weekly / _monthly: one macro, one grain parameter.

    Distinct counts (unique users, unique orgs) are exact at each grain and never summed
    across days. The window is widened to whole periods, so a run touching one day of a week
    recomputes that whole week (and any period still marked incomplete).

    Days and weeks are computed from the staged events of the period. A month counts its
    distinct users and organizations from int_registry__module_members_monthly (each member
    of a month once, added day by day) and sums its additive counts from module_stats_daily:
    recomputing the month to date from its events sorted some 200,000 events every run.
-#}
{% macro module_stats_rollup(grain) %}

{%- set window = get_event_window(grain, reopen_incomplete=true) %}

with {% if grain == 'month' -%}

days as (

    select * from {{ ref('module_stats_daily') }}
    where {{ in_window('period_start', window) }}

),

members as (

    select * from {{ ref('int_registry__module_members_monthly') }}
    where {{ in_window('period_start', window) }}

),

{% else -%}

activity as (

    select * from {{ ref('int_registry__activity') }}
    where {{ in_window('event_date', window) }}

),

downloads as (

    select * from {{ ref('stg_registry__download_events') }}
    where {{ in_window('event_date', window) }}

),

{% endif -%}

compilations as (

    select * from {{ ref('stg_registry__compilation_events') }}
    where {{ in_window('event_date', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'registry'

),

{% if grain == 'month' -%}

download_totals as (

    {#- The additive counts: the sum of the month's days (exact integers). -#}
    select
        {{ truncate_to_period('period_start', grain) }} as period_start,
        module_name,
        sum(view_count)::bigint as view_count,
        sum(download_count)::bigint as download_count,
        sum(failed_download_count)::bigint as failed_download_count,
        sum(cache_hit_download_count)::bigint as cache_hit_download_count,
        sum(total_download_bytes)::bigint as total_download_bytes
    from days
    group by 1, 2

),

member_counts as (

    select
        period_start,
        module_name,
        count(*) filter (where member_kind = 'user') as unique_users,
        count(*) filter (where member_kind = 'organization') as unique_orgs
    from members
    group by 1, 2

),

audience as (

    {#- A module has a month when it has a day in it (a request of any kind). -#}
    select
        download_totals.period_start,
        download_totals.module_name,
        download_totals.view_count,
        coalesce(member_counts.unique_users, 0) as unique_users,
        coalesce(member_counts.unique_orgs, 0) as unique_orgs
    from download_totals
    left join member_counts
        on
            download_totals.period_start = member_counts.period_start
            and download_totals.module_name = member_counts.module_name

),

{% else -%}

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

{% endif -%}

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
