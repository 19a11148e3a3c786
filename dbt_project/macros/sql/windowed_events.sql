{#- SQL: the rows of a raw event table inside this run's window (get_event_window), one per
    event_id (the first loaded wins): what every staging event model starts from. -#}
{% macro windowed_events(relation, time_column) -%}
    {%- set window = get_event_window() -%}
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
{%- endmacro %}
