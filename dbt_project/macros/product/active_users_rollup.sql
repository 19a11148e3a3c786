{#-
    Active users per period of `grain` (day, week or month), from user_activity_daily (one
    row per user and day): distinct users active in the period, exact at the grain. For weeks
    and months also the average daily active users over the period's days with activity and
    stickiness = that average / the period's active users (DAU/WAU, DAU/MAU).
-#}
{% macro active_users_rollup(grain) -%}
{%- set window = get_event_window(grain, reopen_incomplete=true) %}

with activity as (

    select
        period_start as activity_date,
        user_id
    from {{ ref('user_activity_daily') }}
    where {{ in_window('period_start', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

periods as (

    select
        {{ truncate_to_period('activity_date', grain) }} as period_start,
        count(distinct user_id) as active_users,
        count(*) as user_days,
        count(distinct activity_date) as days_with_activity
    from activity
    group by 1

),

final as (

    select
        periods.period_start,
        periods.active_users,
        {%- if grain != 'day' %}
        periods.days_with_activity::integer as days_with_activity,
        periods.user_days::double precision
        / periods.days_with_activity as avg_daily_active_users,
        periods.user_days::double precision
        / periods.days_with_activity / periods.active_users as stickiness,
        {%- endif %}
        {{ period_is_complete('periods.period_start',
                              period_end_of('periods.period_start', grain)) }} as is_complete
    from periods
    left join coverage on true

)

select * from final
{%- endmacro %}
