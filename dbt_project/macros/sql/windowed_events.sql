{#- SQL: the rows of a raw event table inside this run's window (get_event_window), one per
    event_id: what every staging event model starts from. One event id is one event whatever
    its time: the copy loaded first wins (then the earliest time), also against a re-sent
    copy with another time on a day outside the window, so every build agrees on the winner
    and staging's event ids stay unique whichever windows were built. -#}
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
    where
        occurrence = 1
        {%- if window is not none %}
            and not exists (
                select from {{ relation }} as earlier
                where
                    earlier.event_id = windowed.event_id
                    and (earlier._loaded_at, earlier.{{ time_column }})
                    < (windowed._loaded_at, windowed.{{ time_column }})
            )
        {%- endif %}
{%- endmacro %}
