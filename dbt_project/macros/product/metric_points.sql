{#- SQL: the staged metric points of the run's window (a list of ranges from
    get_event_window), of the names in `metric_names` (none: every metric). What every metric
    mart starts from. -#}
{% macro metric_points(window, metric_names=none) -%}
    select * from {{ ref('stg_product__metrics') }}
    where
        {{ in_window('event_date', window) }}
        {%- if metric_names %}
        and metric_name in ('{{ metric_names | join("', '") }}')
        {%- endif %}
{%- endmacro %}
