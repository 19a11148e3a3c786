{#-
    The seed's action_type_distribution: per action type, the executions of the 30 days
    ending at the reference time (actions_reference_time) and their share of all of them in
    percent (the shares add up to 100). Rebuilt whole by every run; reads 31 days of staging.
-#}
{{ config(materialized='table') }}

{%- set reference_time = actions_reference_time() %}

with reference as (

    select {{ reference_time }} as window_end

),

results as (

    {{ results_in_sliding_window('30 days', reference_time) }}

),

by_type as (

    select
        action_type,
        count(*) as execution_count,
        count(*) filter (where is_success) as success_count,
        count(*) filter (where is_failure) as failure_count,
        avg(duration_ms)::double precision as avg_duration_ms,
        count(distinct trigger_id) as trigger_count
    from results
    group by action_type

),

final as (

    select
        by_type.action_type,
        by_type.execution_count,
        by_type.success_count,
        by_type.failure_count,
        by_type.success_count::double precision / by_type.execution_count as success_rate,
        by_type.avg_duration_ms,
        by_type.trigger_count,
        100.0::double precision * by_type.execution_count
        / sum(by_type.execution_count) over () as share_pct,
        reference.window_end - interval '30 days' as window_start,
        reference.window_end
    from by_type
    cross join reference

)

select * from final
