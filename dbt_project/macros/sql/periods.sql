{#- The first day of the `grain` period holding a date column, and the last day of a period
    that starts at `period_start` (weeks are ISO weeks, Monday first). -#}
{% macro truncate_to_period(date_column, grain) -%}
    date_trunc('{{ grain }}', ({{ date_column }})::timestamp)::date
{%- endmacro %}

{% macro period_end_of(period_start, grain) -%}
    {%- if grain == 'day' -%}
        ({{ period_start }})
    {%- elif grain == 'week' -%}
        (({{ period_start }}) + 6)
    {%- else -%}
        ((({{ period_start }}) + interval '1 {{ grain }}')::date - 1)
    {%- endif -%}
{%- endmacro %}
