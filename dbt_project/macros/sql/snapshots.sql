{#- SQL: the snapshot days of this run (from get_snapshot_dates) as a relation of as_of_date. -#}
{#- (A function in FROM, not in the select list: its column is then a plain column the planner
    can hash and merge on.) -#}
{% macro as_of_dates_relation(as_of_dates) -%}
    {{ return(adapter.dispatch('as_of_dates_relation')(as_of_dates)) }}
{%- endmacro %}

{% macro default__as_of_dates_relation(as_of_dates) -%}
    (select days.as_of_date from unnest(array[
        {%- for day in as_of_dates %}'{{ day }}'{{ ', ' if not loop.last }}{% endfor -%}
    ]::date []) as days (as_of_date))
{%- endmacro %}

{#- Spark: no unnest; a VALUES list (an empty one is no valid VALUES: a query of no row). -#}
{% macro spark__as_of_dates_relation(as_of_dates) -%}
    {%- if as_of_dates -%}
        (select as_of_date from values
            {%- for day in as_of_dates %} (date '{{ day }}'){{ ',' if not loop.last }}{% endfor %}
            as days (as_of_date))
    {%- else -%}
        (select cast(null as date) as as_of_date where false)
    {%- endif -%}
{%- endmacro %}

{#- SQL: the rows of `relation` whose `date_column` falls in the `days` days ending on each
    snapshot day, with that day as as_of_date: what a snapshot mart reads. One index range per
    snapshot day. -#}
{% macro rows_as_of(relation, days, as_of_dates, date_column='period_start') -%}
    select
        as_of.as_of_date,
        recent.*
    from {{ as_of_dates_relation(as_of_dates) }} as as_of
    inner join {{ relation }} as recent
        on recent.{{ date_column }} between as_of.as_of_date - {{ days - 1 }} and as_of.as_of_date
{%- endmacro %}
