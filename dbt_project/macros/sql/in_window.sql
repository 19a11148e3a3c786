{#- SQL: a filter keeping rows of `column` inside `window` (a list of ranges from
    get_event_window; none = everything): dates compared as dates, event times as UTC days. -#}
{% macro in_window(column, window, kind='date') -%}
    {%- if window is none -%}
        true
    {%- elif not window -%}
        false
    {%- else -%}
        (
        {%- for range in window %}
            {{- ' or ' if not loop.first }}(
            {%- if kind == 'timestamp' -%}
                {%- set conditions = [] -%}
                {%- if range.start %}{% do conditions.append(
                    column ~ " >= timestamptz '" ~ range.start ~ " 00:00:00+00'") %}{% endif -%}
                {%- if range.end %}{% do conditions.append(
                    column ~ " < timestamptz '" ~ range.end ~ " 00:00:00+00' + interval '1 day'"
                ) %}{% endif -%}
            {%- else -%}
                {%- set conditions = [] -%}
                {%- if range.start %}{% do conditions.append(
                    column ~ " >= date '" ~ range.start ~ "'") %}{% endif -%}
                {%- if range.end %}{% do conditions.append(
                    column ~ " <= date '" ~ range.end ~ "'") %}{% endif -%}
            {%- endif -%}
            {{ conditions | join(' and ') or 'true' }})
        {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}
