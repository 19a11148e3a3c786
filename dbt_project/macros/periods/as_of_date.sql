{#-
    The last complete day of a source: the day before its latest finished load (UTC). A day is
    complete once data was loaded after it ended; later late events restate it.
    Snapshot marts are computed as of this day unless var('as_of_date') names another.
-#}
{% macro complete_through(source_name) -%}
    (
        select (max(finished_at) at time zone 'UTC')::date - 1
        from {{ source('ingest', '_loads') }}
        where source = '{{ source_name }}'
    )
{%- endmacro %}

{% macro as_of_date(source_name) -%}
    {%- if var('as_of_date') -%}
        date '{{ var("as_of_date") }}'
    {%- else -%}
        {{ complete_through(source_name) }}
    {%- endif -%}
{%- endmacro %}
