{#- SQL: every row of `relation` of a group (a session) that has a row in `window` (from
    get_grouped_window): what a model keyed by its groups' first day builds them from. -#}
{% macro grouped_events(relation, group_column, window, date_column='event_date') -%}
    select grouped.*
    from {{ relation }} as grouped
    where grouped.{{ group_column }} in (
        select touched.{{ group_column }} from {{ relation }} as touched
        where
            {{ in_window('touched.' ~ date_column, window) }}
            and touched.{{ group_column }} is not null
    )
{%- endmacro %}
