{#- SQL: every row of `relation` of a group (a session) that has a row in `window` (from
    get_grouped_window): what a model keyed by its groups' first day builds them from.
    A bounded window looks its groups up by `= any(array(...))`, one index probe per touched
    group (a semi-join there scans the whole history); an unbounded one (a full build) takes
    every row that has a group. -#}
{% macro grouped_events(relation, group_column, window, date_column='event_date') -%}
    {%- set bounded = window is not none and window | rejectattr('start') | list | length == 0
        and window | rejectattr('end') | list | length == 0 -%}
    select grouped.*
    from {{ relation }} as grouped
    {% if window is none -%}
        where grouped.{{ group_column }} is not null
    {%- else -%}
        where grouped.{{ group_column }} {{ '= any(array(' if bounded else 'in (' }}
            select distinct touched.{{ group_column }} from {{ relation }} as touched
            where
                {{ in_window('touched.' ~ date_column, window) }}
                and touched.{{ group_column }} is not null
        {{ '))' if bounded else ')' }}
    {%- endif %}
{%- endmacro %}
