{#-
    Capacity planning, week over week: executions per ISO week (Monday first, UTC) from
    action_stats_daily, against the week before. A view: always what the daily rows say,
    and a week's growth is only meaningful once is_complete.
-#}
{{ config(materialized='view') }}

with daily as (

    select * from {{ ref('action_stats_daily') }}

),

weekly as (

    select
        date_trunc('week', period_start::timestamp)::date as week_start,
        sum(execution_count)::bigint as execution_count,
        sum(success_count)::bigint as success_count,
        sum(failure_count)::bigint as failure_count,
        count(distinct period_start)::integer as days_with_data,
        bool_and(is_complete) and count(distinct period_start) = 7 as is_complete
    from daily
    group by date_trunc('week', period_start::timestamp)::date

),

final as (

    select
        weekly.*,
        previous.execution_count as previous_week_execution_count,
        100.0::double precision * (weekly.execution_count - previous.execution_count)
        / nullif(previous.execution_count, 0) as growth_pct
    from weekly
    left join weekly as previous on weekly.week_start - 7 = previous.week_start

)

select * from final
