{{ config(
    materialized='incremental',
    unique_key='period_start',
    indexes=[{
        'columns': ['period_start', 'module_name', 'member_kind', 'member_id'], 'unique': true
    }],
) }}

{#-
    Each user and each organization with a request (download, view or compilation) of a
    module in a month, once: what module_stats_monthly counts for its exact distinct counts.
    A run adds the members of its window's days (strategy insert_new; on Spark it rewrites
    the window's whole months), so a one-day run reads one day of events, and the monthly rollup counts the month's members from this
    set instead of sorting the month's events again.
-#}

{#- A first build takes every day, even in a run given a window: a month's counts read the
    whole month's set, so a set holding only the window's days would make them silently
    wrong until a later run built the rest (that run, reading the days left pending, then
    adds nothing). -#}
{%- set window = get_append_window('month') %}
{%- set window = window if is_incremental() else none %}

with activity as (

    select * from {{ ref('int_registry__activity') }}
    where {{ in_window('event_date', window) }}

),

members as (

    select
        event_date,
        module_name,
        'user' as member_kind,
        user_id as member_id
    from activity
    where user_id is not null
    union all
    select
        event_date,
        module_name,
        'organization' as member_kind,
        organization_id as member_id
    from activity
    where organization_id is not null

),

final as (

    select distinct
        {{ truncate_to_period('event_date', 'month') }} as period_start,
        module_name,
        member_kind,
        member_id
    from members

)

select * from final
