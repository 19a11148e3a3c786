{#-
    Every action rollup (action_metrics_hourly, action_stats_hourly, action_stats_daily,
    trigger_stats_daily, action_org_usage_daily): one macro, the grain as parameters. Rows are
    the staged action results of the run's days (get_event_window), grouped by UTC day, the
    UTC hour when `hourly`, and `dimensions`. Successes are status success, failures status
    failure or timeout (retrying is neither: the action is still being retried);
    success_rate = successes / executions; an SLA violation is a duration over var
    action_sla_ms. Results without a value of a dimension (a result without a trigger) are left
    out of that rollup only. A row is complete when the source's loads cover it whole: an hour when it
    ended before the laggiest event feed's latest load finished, a day when the day is.
-#}
{% macro action_rollup(dimensions, hourly=false) %}

{%- set window = get_event_window('day', reopen_incomplete=true) %}
{%- set groups = ['event_date'] + (['hour_start'] if hourly else []) + dimensions %}

with results as (

    select * from {{ ref('stg_actions__action_results') }}
    where
        {{ in_window('event_date', window) }}
        {%- for dimension in dimensions %}
        and {{ dimension }} is not null
        {%- endfor %}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'actions'

),

grouped as (

    select
        event_date as period_start,
        {%- if hourly %}
        hour_start,
        {%- endif %}
        {%- for dimension in dimensions %}
        {{ dimension }},
        {%- endfor %}
        count(*) as execution_count,
        count(*) filter (where is_success) as success_count,
        count(*) filter (where is_failure) as failure_count,
        avg(duration_ms)::double precision as avg_duration_ms,
        min(duration_ms) as min_duration_ms,
        max(duration_ms) as max_duration_ms,
        percentile_cont(0.5) within group (order by duration_ms) as p50_duration_ms,
        percentile_cont(0.95) within group (order by duration_ms) as p95_duration_ms,
        percentile_cont(0.99) within group (order by duration_ms) as p99_duration_ms,
        sum(retry_count) as total_retries,
        count(*) filter (where retry_count > 0) as retried_count,
        count(*) filter (
            where duration_ms > {{ var('action_sla_ms') | int }}
        ) as sla_violation_count,
        min(executed_at) as first_executed_at,
        max(executed_at) as last_executed_at
    from results
    group by {{ groups | join(', ') }}

),

final as (

    select
        grouped.*,
        grouped.success_count::double precision / grouped.execution_count as success_rate,
        grouped.total_retries::double precision / grouped.execution_count as avg_retries,
        {%- if hourly %}
        coalesce(
            {{ period_is_complete('grouped.period_start', 'grouped.period_start') }}
            or (
                grouped.hour_start >= coverage.first_event_date
                and grouped.hour_start + interval '1 hour'
                <= coverage.loaded_through at time zone 'UTC'
            ),
            false
        ) as is_complete
        {%- else %}
        {{ period_is_complete('grouped.period_start', 'grouped.period_start') }} as is_complete
        {%- endif %}
    from grouped
    left join coverage on true

)

select * from final

{%- endmacro %}

{#- SQL: the reference time of the actions' sliding windows (recent_failures, the 24-hour
    health summary, the 30-day distribution and trigger summary): the latest action result
    executed no later than now. Live, that is the last load's newest action (a few minutes
    ago); a warehouse whose loads stopped keeps its last windows instead of emptying them (the
    freshness policy says it is stale), and a result dated in the future never moves it.
    Decided once before the model's SQL runs (an index probe), so the SQL holds a constant
    and PostgreSQL reads the window through the executed_at index whatever the history; a
    subquery when staging does not exist yet (dbt compile on an empty warehouse). -#}
{% macro actions_reference_time() -%}
    {%- set staged = ref('stg_actions__action_results') -%}
    {%- set newest -%}
        (
            select max(probe.executed_at)
            from {{ staged }} as probe
            where probe.executed_at <= now()
        )
    {%- endset -%}
    {%- if execute and adapter.get_relation(staged.database, staged.schema, staged.identifier) -%}
        {%- set found = run_query(
            "select to_char(" ~ newest ~ " at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        ).columns[0].values()[0] -%}
        {{- "timestamptz '" ~ found ~ "+00'" if found else "null::timestamptz" -}}
    {%- else -%}
        {{ newest }}
    {%- endif -%}
{%- endmacro %}

{#- SQL: the staged action results of the sliding window of `length` (an interval, such as
    '24 hours') ending at `reference` (actions_reference_time): (reference - length,
    reference]. -#}
{% macro results_in_sliding_window(length, reference) -%}
    select * from {{ ref('stg_actions__action_results') }}
    where
        executed_at > {{ reference }} - interval '{{ length }}'
        and executed_at <= {{ reference }}
{%- endmacro %}
