{#-
    The event days an incremental model (re)builds in this run, decided once, before its SQL
    runs, so the SQL holds constant dates: PostgreSQL prunes the monthly partitions of `raw`
    and reads the date indexes.

    Returns none (build everything: first build or --full-refresh without vars) or a list of
    ranges {'start', 'end'} (inclusive ISO dates; none = unbounded), widened to whole periods
    of `grain` (day, week = ISO week, month), for the macro in_window.

    - vars min_date / max_date (a Dagster partition, or by hand): exactly those days.
    - no vars, incremental: every day changed upstream since the model's last run (raw loads,
      late ones of any age, and rebuilt parent models: see run_log.sql), the days an explicit
      window left for later, and the lookback_days before the model's latest period.
    - reopen_incomplete: also the periods of the model still marked incomplete that can still
      complete (starting on or after the first event day): the recent ones, and its first
      period (older late data can move the first event day before it). Each is rebuilt on
      its own, so they get their final numbers and flag once complete.
-#}
{% macro get_event_window(grain='day', period_column=none, reopen_incomplete=false) -%}
    {%- set period_column = period_column or config.get('unique_key') -%}
    {%- if execute and config.get('unique_key') != period_column -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": a windowed model is keyed by its period column " ~ period_column
            ~ ", not by " ~ config.get('unique_key')) }}
    {%- endif -%}
    {{ return(adapter.dispatch('get_event_window')(grain, period_column, reopen_incomplete)) }}
{%- endmacro %}

{% macro default__get_event_window(grain, period_column, reopen_incomplete) -%}
    {%- set first_day, last_day = get_requested_dates() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if is_incremental() -%}
        {#- The model's latest period, read before the window's statement (one index probe),
            so the recent incomplete periods are a range from a constant: compared with a
            subquery, PostgreSQL planned a scan of every row the model ever built. -#}
        {%- set latest_period = run_query(
            'select max(' ~ period_column ~ ')::text from ' ~ this
        ).columns[0].values()[0] if reopen_incomplete else none -%}
        {%- set ctes -%}
            {{ input_changes_ctes() }},

            {{ source_coverage_cte(model.fqn[2]) }},

            latest as (
                select max({{ period_column }}) as period from {{ this }}
            ),

            {#- Incomplete periods that can still complete (they start on or after the first
                event day): the recent ones, and the model's first period, which completes
                when older late data moves the first event day before it. -#}
            reopened as (
                {% if reopen_incomplete -%}
                    select coalesce(range_agg(daterange(period, period, '[]')), '{}') as days
                    from (
                        select distinct {{ period_column }} as period from {{ this }}
                        where
                            {{ period_column }}
                            >= {{ "date '" ~ latest_period ~ "'" if latest_period else 'null::date' }}
                            - {{ reopen_horizon_days() }}
                            and not is_complete
                        union
                        select {{ period_column }} from {{ this }}
                        where
                            {{ period_column }}
                            = (select min({{ period_column }}) from {{ this }})
                            and not is_complete
                    ) as incomplete
                    where period >= (select first_event_date from coverage)
                {%- else -%}
                    select '{}'::datemultirange as days
                {%- endif %}
            ),

            candidates as (
                select
                    coalesce((select pending from last_run), '{}'::datemultirange)
                    + coalesce(
                        (select range_agg(range_of_days) from input_changes
                         where date_kind = 'event'),
                        '{}'::datemultirange
                    ) as days
            ),

            requested as (
                select
                    {% if first_day -%}
                        datemultirange(daterange('{{ first_day }}', '{{ last_day }}', '[]'))
                    {%- else -%}
                        candidates.days
                        + datemultirange(
                            daterange(latest.period - {{ var('lookback_days') | int }}, null)
                        )
                    {%- endif %}
                    + reopened.days as days
                from candidates cross join latest cross join reopened
            )
        {%- endset -%}
        {%- set computed -%}
            select
                {{ widened_to_periods('requested.days', grain) }} as changed,
                candidates.days - {{ widened_to_periods('requested.days', grain) }} as pending
            from requested cross join candidates
        {%- endset -%}
    {%- else -%}
        {%- set ctes -%}
            requested as (
                select
                    {% if first_day -%}
                        datemultirange(daterange('{{ first_day }}', '{{ last_day }}', '[]'))
                    {%- else -%}
                        '{(,)}'::datemultirange
                    {%- endif %} as days
            )
        {%- endset -%}
        {#- A first build of only some days leaves every other day for a later run. -#}
        {%- set computed -%}
            select
                {{ widened_to_periods('requested.days', grain) }} as changed,
                '{(,)}'::datemultirange
                - {{ widened_to_periods('requested.days', grain) }} as pending
            from requested
        {%- endset -%}
    {%- endif -%}
    {%- set window = record_run(ctes, computed, 'event') -%}
    {%- if not is_incremental() and not first_day -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(window) }}
{%- endmacro %}

{#- vars min_date / max_date as ISO strings (YAML reads an unquoted 2026-03-01 as a date);
    without vars, the environment variables WAREHOUSE_WINDOW_MIN_DATE / _MAX_DATE (how Dagster
    passes a partition's days: new --vars make dbt parse the whole project again, while an
    environment variable read only at execution keeps the cached parse). -#}
{% macro get_requested_dates() -%}
    {%- set first_day = var('min_date') -%}
    {%- set given_last_day = var('max_date') -%}
    {%- if first_day is none and given_last_day is none and execute -%}
        {%- set first_day = env_var('WAREHOUSE_WINDOW_MIN_DATE', '') or none -%}
        {%- set given_last_day = env_var('WAREHOUSE_WINDOW_MAX_DATE', '') or none -%}
    {%- endif -%}
    {%- set last_day = given_last_day or first_day -%}
    {%- if first_day is none and given_last_day is not none -%}
        {{ exceptions.raise_compiler_error("var max_date needs min_date (both inclusive)") }}
    {%- endif -%}
    {%- if first_day is none -%}
        {{ return((none, none)) }}
    {%- endif -%}
    {{ return(((first_day | string), (last_day | string))) }}
{%- endmacro %}

{#- SQL: a datemultirange widened to whole periods of `grain` (unbounded ends stay so). -#}
{% macro widened_to_periods(multirange, grain) -%}
    coalesce((
        select range_agg(daterange(
            {{ truncate_to_period('lower(parts.r)', grain) }},
            {{ period_end_of(truncate_to_period('upper(parts.r) - 1', grain), grain) }} + 1
        ))
        from unnest({{ multirange }}) as parts (r)
    ), '{}'::datemultirange)
{%- endmacro %}

{#- How far before a model's latest period an incomplete period is still looked for: two
    months, so the current and the previous month of a monthly model. -#}
{% macro reopen_horizon_days() -%}
    {{ return(62) }}
{%- endmacro %}
