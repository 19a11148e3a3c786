{#-
    The seed's overall system-health dashboard: one row, the 24 hours ending at the reference
    time (actions_reference_time): executions, success rate, latency, retries, active
    triggers and organizations, failing and idle triggers, and the seed's alerts (success
    rate < 90%, p95 > 1,000 ms) as flags. Rebuilt whole by every run; reads two days of
    staging and the trigger summary.
-#}
{{ config(materialized='table') }}

{%- set reference_time = actions_reference_time() %}

with reference as (

    select {{ reference_time }} as window_end

),

results as (

    {{ results_in_sliding_window('24 hours', reference_time) }}

),

trigger_summary as (

    select * from {{ ref('trigger_performance_summary') }}

),

totals as (

    select
        count(*) as execution_count,
        count(*) filter (where is_success) as success_count,
        count(*) filter (where is_failure) as failure_count,
        avg(duration_ms)::double precision as avg_duration_ms,
        percentile_cont(0.95) within group (order by duration_ms) as p95_duration_ms,
        coalesce(sum(retry_count), 0) as total_retries,
        count(distinct trigger_id) as active_trigger_count,
        count(distinct organization_id) as active_organization_count,
        count(distinct trigger_id) filter (where is_failure) as failing_trigger_count
    from results

),

trigger_health as (

    select
        count(*) filter (where is_idle) as idle_trigger_count,
        count(*) filter (where is_low_success_rate) as low_success_trigger_count,
        count(*) filter (where is_high_retry_rate) as high_retry_trigger_count
    from trigger_summary

),

final as (

    select
        reference.window_end - interval '24 hours' as window_start,
        reference.window_end,
        totals.execution_count,
        totals.success_count,
        totals.failure_count,
        totals.success_count::double precision
        / nullif(totals.execution_count, 0) as success_rate,
        totals.avg_duration_ms,
        totals.p95_duration_ms,
        totals.total_retries,
        totals.active_trigger_count,
        totals.active_organization_count,
        totals.failing_trigger_count,
        trigger_health.idle_trigger_count,
        trigger_health.low_success_trigger_count,
        trigger_health.high_retry_trigger_count,
        coalesce(
            totals.success_count::double precision / nullif(totals.execution_count, 0) < 0.9,
            false
        ) as is_success_rate_below_90pct,
        coalesce(totals.p95_duration_ms > 1000, false) as is_p95_over_1000ms,
        now() as built_at
    from reference
    cross join totals
    cross join trigger_health
    -- No action staged yet: no reference time, and no row rather than one of NULLs.
    where reference.window_end is not null

)

select * from final
