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

{#- The rows of `relation` whose `date_column` falls in the `days` days ending on the snapshot
    day of `source_name`, each with that day as as_of_date: what a snapshot mart reads. -#}
{% macro rows_as_of(relation, days, source_name, date_column='period_start') -%}
    select
        as_of.as_of_date,
        recent.*
    from {{ relation }} as recent
    inner join (select {{ as_of_date(source_name) }} as as_of_date) as as_of
        on recent.{{ date_column }} between as_of.as_of_date - {{ days - 1 }} and as_of.as_of_date
{%- endmacro %}
