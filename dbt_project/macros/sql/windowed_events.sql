{#- SQL: the rows of a raw event table inside this run's window (get_event_window): what
    every staging event model starts from. Each event id is in raw once (the loader keeps
    the copy loaded first and quarantines a re-sent one, raw._event_ids), so no window can
    meet an event twice. -#}
{% macro windowed_events(relation, time_column) -%}
    {{ return(adapter.dispatch('windowed_events')(relation, time_column)) }}
{%- endmacro %}

{% macro default__windowed_events(relation, time_column) -%}
    select *
    from {{ relation }}
    where {{ in_window(time_column, get_event_window(), 'timestamp') }}
{%- endmacro %}

{#- Spark: the lake partitions each raw event table by the UTC day of its event time
    (ingest/lake.py), so the window is a filter on that partition column, which prunes the
    folders read. The column comes along in `select *` (staging lists its columns). -#}
{% macro spark__windowed_events(relation, time_column) -%}
    select *
    from {{ relation }}
    where {{ in_window('event_date', get_event_window()) }}
{%- endmacro %}
