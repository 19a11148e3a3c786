{#- SQL aggregate: the first (or last) non-null value of `column` among a group's events, in
    event order (time, then event id, so ties are settled the same way every run); `where`
    limits the events looked at. -#}
{% macro first_value_of(column, last=false, where='true') -%}
    {%- set direction = 'desc' if last else 'asc' -%}
    (array_agg({{ column }} order by occurred_at {{ direction }}, event_id {{ direction }})
        filter (where {{ column }} is not null and {{ where }}))[1]
{%- endmacro %}
