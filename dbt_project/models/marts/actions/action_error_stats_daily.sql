{#-
    Failures (status failure or timeout) per UTC day, action type, trigger and error message
    (reduced in staging: an e-mail address is `<email>`): top errors, errors by trigger and
    the failure rate's causes, summed over any days. Rows are written in period order: a
    full build's hash aggregate scattered each day's rows over the whole table, so the run
    window's look at the last 62 days (get_event_window) read pages across all history.
-#}
{%- set window = get_event_window('day', reopen_incomplete=true) %}

with failures as (

    select * from {{ ref('stg_actions__action_results') }}
    where {{ in_window('event_date', window) }} and is_failure

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'actions'

),

grouped as (

    select
        event_date as period_start,
        action_type,
        coalesce(trigger_id, '(none)') as trigger_id,
        coalesce(error_message, '(no message)') as error_message,
        count(*) as error_count,
        count(*) filter (where status = 'failure') as failure_status_count,
        count(*) filter (where status = 'timeout') as timeout_status_count,
        sum(retry_count) as total_retries,
        min(executed_at) as first_seen_at,
        max(executed_at) as last_seen_at
    from failures
    group by
        event_date, action_type, coalesce(trigger_id, '(none)'),
        coalesce(error_message, '(no message)')

),

final as (

    select
        grouped.*,
        {{ period_is_complete('grouped.period_start', 'grouped.period_start') }} as is_complete
    from grouped
    left join coverage on true

)

select * from final
order by period_start
