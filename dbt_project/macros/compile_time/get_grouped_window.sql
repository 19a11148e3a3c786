{#-
    The days a model keyed by the first day of a group of events (a session, by the day it
    started) rebuilds: the event window of get_event_window, plus every day holding an event
    of a group that has an event in that window. A session is built whole from all its
    events, so a late event, or an event after midnight, also rebuilds the day the session
    started (where its row is), and the day it used to start on when a late event comes
    before its first (that day still holds its old first event). Only groups touched by the
    window are looked at: the cost follows the changed days, not the history.

    Runs at compile time, after get_event_window recorded the run: the widened days replace
    what the run log says it rebuilt, so the delete of delete+insert and every model
    downstream see them. Returns the same shape as get_event_window (none = everything).
-#}
{% macro get_grouped_window(relation, group_column, date_column='event_date') -%}
    {%- set window = get_event_window('day') -%}
    {%- if not execute or window is none or not window -%}
        {{ return(window) }}
    {%- endif -%}
    {%- set widened_sql -%}
        select coalesce(range_agg(daterange(days.day, days.day, '[]')), '{}'::datemultirange)
            + datemultirange(
                {%- for range in window %}
                    daterange(
                        {{ "'" ~ range.start ~ "'" if range.start else 'null' }},
                        {{ "'" ~ range.end ~ "'" if range.end else 'null' }}, '[]'
                    ){{ ',' if not loop.last }}
                {%- endfor %}
            ) as days
        from (
            select distinct events.{{ date_column }} as day
            from ({{ grouped_events(relation, group_column, window, date_column) }}) as events
        ) as days
    {%- endset -%}
    {%- if run_is_recorded() -%}
        {%- set result -%}
            updated as (
                update {{ run_log_relation() }} as runs
                set
                    changed = widened.days,
                    pending = runs.pending - widened.days
                from widened
                where
                    runs.model = '{{ run_log_key(model) }}'
                    and runs.invocation_id = '{{ invocation_id }}'
                returning runs.changed as days
            )
        {%- endset -%}
    {%- else -%}
        {%- set result = 'updated as (select days from widened)' -%}
    {%- endif -%}
    {%- set statement -%}
        with widened as ({{ widened_sql }}),

        {{ result }}
    {%- endset -%}
    {{ return(get_ranges_of(statement, 'updated', 'days')) }}
{%- endmacro %}
