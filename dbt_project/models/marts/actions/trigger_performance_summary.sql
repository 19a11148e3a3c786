{#-
    The seed's trigger_performance_summary and trigger health, one row per trigger of the
    catalog (and per trigger id seen in results but missing from it): its catalog attributes,
    its executions of the 30 days ending at the reference time (actions_reference_time) with
    success rate, latency and retries, its last execution ever, and the seed's health
    questions as flags and ranks: low success rate, most active, idle, high retry rate,
    slowest. Rebuilt whole by every run: 30 days of staging, and one index probe per trigger
    for its last execution, whatever the history.
-#}
{{ config(materialized='table') }}

{%- set reference_time = actions_reference_time() %}

with reference as (

    select {{ reference_time }} as window_end

),

results as (

    select * from ({{ results_in_sliding_window('30 days', reference_time) }}) as window_results
    where trigger_id is not null

),

triggers as (

    select * from {{ ref('stg_actions__triggers') }}

),

by_trigger as (

    select
        trigger_id,
        count(*) as execution_count,
        count(*) filter (where is_success) as success_count,
        count(*) filter (where is_failure) as failure_count,
        avg(duration_ms)::double precision as avg_duration_ms,
        percentile_cont(0.5) within group (order by duration_ms) as p50_duration_ms,
        percentile_cont(0.95) within group (order by duration_ms) as p95_duration_ms,
        max(duration_ms) as max_duration_ms,
        sum(retry_count) as total_retries,
        count(*) filter (where retry_count > 0) as retried_count
    from results
    group by trigger_id

),

trigger_ids as (

    select trigger_id from triggers
    union
    select trigger_id from by_trigger

),

last_executions as (

    select
        trigger_ids.trigger_id,
        (
            select max(staged.executed_at)
            from {{ ref('stg_actions__action_results') }} as staged
            where
                staged.trigger_id = trigger_ids.trigger_id
                and staged.executed_at <= {{ reference_time }}
        ) as last_executed_at
    from trigger_ids

),

measured as (

    select
        trigger_ids.trigger_id,
        triggers.trigger_name,
        triggers.organization_id,
        triggers.event_type,
        triggers.action_type,
        triggers.is_active,
        triggers.created_at,
        coalesce(by_trigger.execution_count, 0) as execution_count,
        coalesce(by_trigger.success_count, 0) as success_count,
        coalesce(by_trigger.failure_count, 0) as failure_count,
        by_trigger.success_count::double precision
        / nullif(by_trigger.execution_count, 0) as success_rate,
        by_trigger.avg_duration_ms,
        by_trigger.p50_duration_ms,
        by_trigger.p95_duration_ms,
        by_trigger.max_duration_ms,
        coalesce(by_trigger.total_retries, 0) as total_retries,
        coalesce(by_trigger.retried_count, 0) as retried_count,
        by_trigger.total_retries::double precision
        / nullif(by_trigger.execution_count, 0) as avg_retries,
        last_executions.last_executed_at,
        reference.window_end - interval '30 days' as window_start,
        reference.window_end
    from trigger_ids
    cross join reference
    left join triggers on trigger_ids.trigger_id = triggers.trigger_id
    left join by_trigger on trigger_ids.trigger_id = by_trigger.trigger_id
    left join last_executions on trigger_ids.trigger_id = last_executions.trigger_id

),

final as (

    select
        *,
        rank() over (order by execution_count desc)::integer as activity_rank,
        case
            when p95_duration_ms is not null
                then rank() over (order by p95_duration_ms desc nulls last)::integer
        end as latency_rank,
        coalesce(
            execution_count >= {{ var('action_health_min_executions') | int }}
            and success_rate < 0.9,
            false
        ) as is_low_success_rate,
        coalesce(
            execution_count >= {{ var('action_health_min_executions') | int }}
            and avg_retries > {{ var('action_high_avg_retries') | float }},
            false
        ) as is_high_retry_rate,
        coalesce(is_active, false)
        and (
            last_executed_at is null
            or last_executed_at
            <= window_end - interval '{{ var("action_idle_days") | int }} days'
        ) as is_idle
    from measured

)

select * from final
