{#-
    The seed's recent_failures: every failed action (status failure or timeout) of the sliding
    24 hours ending at the reference time (actions_reference_time: the newest result), with
    its error details and response data as staging reduced them, and its trigger's name.
    Rebuilt whole by every run; reads 24 hours of staging whatever the history.
-#}
{{ config(materialized='table', indexes=[{'columns': ['executed_at']}]) }}

{%- set reference_time = actions_reference_time() %}

with reference as (

    select {{ reference_time }} as window_end

),

results as (

    {{ results_in_sliding_window('24 hours', reference_time) }}

),

triggers as (

    select * from {{ ref('stg_actions__triggers') }}

),

final as (

    select
        results.event_id,
        results.executed_at,
        results.trigger_id,
        triggers.trigger_name,
        results.organization_id,
        results.action_type,
        results.status,
        results.duration_ms,
        results.retry_count,
        results.error_message,
        results.response_data,
        reference.window_end - interval '24 hours' as window_start,
        reference.window_end
    from results
    cross join reference
    left join triggers on results.trigger_id = triggers.trigger_id
    where results.is_failure

)

select * from final
