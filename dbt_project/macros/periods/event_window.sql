{#-
    The event-date window every incremental model processes, received one way only.

    Returns none (build everything) or a dict with `start` and `end` (inclusive ISO dates; `end`
    may be none, meaning "up to the newest event"), widened to whole periods of `grain`.
    - With vars min_date / max_date (what orchestration passes for a partition): that window.
    - Incremental run without them: from the model's latest period less `lookback_days`,
      so a bare `dbt build` takes what arrived since the last run plus late events.
    - `reopen_incomplete`: also reprocess periods of this model still marked incomplete, so a
      week that ended since it was last built gets its final numbers and flag.
    The dates are computed here, at execution, so the SQL holds constants and PostgreSQL
    prunes partitions and uses the event-date indexes.
-#}
{% macro event_window(grain='day', period_column='event_date', reopen_incomplete=false) %}
    {%- set requested_start = var('min_date') -%}
    {%- set requested_end = var('max_date') or requested_start -%}
    {%- set state = namespace(start=requested_start, build_everything=false) -%}
    {%- if requested_start is none and not is_incremental() -%}
        {%- set state.build_everything = true -%}
    {%- elif execute and is_incremental() and (requested_start is none or reopen_incomplete) -%}
        {#- Both lookups go through the index on the period key: only recent periods can
            still be incomplete, so the search for them is bounded to the last two months. -#}
        {%- set latest_sql = "(select max(" ~ period_column ~ ") from " ~ this ~ ")" -%}
        {%- set open_sql = "(select min(" ~ period_column ~ ") from " ~ this
            ~ " where " ~ period_column ~ " >= " ~ latest_sql ~ " - 62 and not is_complete)"
            if reopen_incomplete else "null::date" -%}
        {%- set found = run_query(
            "select " ~ latest_sql ~ "::text, " ~ open_sql ~ "::text"
        ).rows[0] -%}
        {%- set latest, first_open = found[0], found[1] -%}
        {%- if requested_start is none and latest is none -%}
            {%- set state.build_everything = true -%}
        {%- elif requested_start is none -%}
            {%- set state.start = (modules.datetime.date.fromisoformat(latest)
                - modules.datetime.timedelta(days=var('lookback_days') | int)).isoformat() -%}
        {%- endif -%}
        {%- if first_open is not none and state.start is not none and first_open < state.start -%}
            {%- set state.start = first_open -%}
        {%- endif -%}
    {%- endif -%}
    {%- if state.build_everything -%}
        {%- set window = none -%}
    {%- else -%}
        {%- set window = {
            'start': period_start(state.start or '1900-01-01', grain),
            'end': period_end(requested_end, grain) if requested_end else none,
        } -%}
    {%- endif -%}
    {{ return(window) }}
{% endmacro %}

{#- First and last day of the `grain` period (day, week = ISO week from Monday, month) holding an ISO date. -#}
{% macro period_start(iso_date, grain) %}
    {%- set day = modules.datetime.date.fromisoformat(iso_date) -%}
    {%- if grain == 'week' -%}
        {%- set day = day - modules.datetime.timedelta(days=day.weekday()) -%}
    {%- elif grain == 'month' -%}
        {%- set day = day.replace(day=1) -%}
    {%- endif -%}
    {{ return(day.isoformat()) }}
{% endmacro %}

{% macro period_end(iso_date, grain) %}
    {%- set day = modules.datetime.date.fromisoformat(iso_date) -%}
    {%- if grain == 'week' -%}
        {%- set day = day + modules.datetime.timedelta(days=6 - day.weekday()) -%}
    {%- elif grain == 'month' -%}
        {%- set next_month = (day.replace(day=28) + modules.datetime.timedelta(days=4)).replace(day=1) -%}
        {%- set day = next_month - modules.datetime.timedelta(days=1) -%}
    {%- endif -%}
    {{ return(day.isoformat()) }}
{% endmacro %}

{#- A filter keeping rows of `column` inside `window`: dates compared as dates, event times as
    UTC day boundaries. `true` when there is no window. -#}
{% macro in_window(column, window, kind='date') %}
    {%- if window is none -%}
        true
    {%- elif kind == 'timestamp' -%}
        {{ column }} >= timestamptz '{{ window.start }} 00:00:00+00'
        {%- if window.end %} and {{ column }} < timestamptz '{{ window.end }} 00:00:00+00' + interval '1 day'{% endif %}
    {%- else -%}
        {{ column }} >= date '{{ window.start }}'
        {%- if window.end %} and {{ column }} <= date '{{ window.end }}'{% endif %}
    {%- endif -%}
{% endmacro %}

{#- The rows of a raw event table inside this run's window, one per event_id (the first
    loaded wins): what every staging event model starts from. -#}
{% macro windowed_events(relation, time_column) %}
    {%- set window = event_window() -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by event_id order by _loaded_at, {{ time_column }}
            ) as occurrence
        from {{ relation }}
        where {{ in_window(time_column, window, 'timestamp') }}
    ) as windowed
    where occurrence = 1
{% endmacro %}
