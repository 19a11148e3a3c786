{#- SQL: per snapshot day and period length, the five values of `dimension` with the most
    requests among `rows` (which carry as_of_date and period_days), as a JSON array of
    {<dimension>, requests}, most first; ties by the value, ascending. -#}
{% macro build_top_five(rows, dimension) %}
    select
        as_of_date,
        period_days,
        jsonb_agg(
            jsonb_build_object('{{ dimension }}', {{ dimension }}, 'requests', request_count)
            order by request_rank
        ) as top_five
    from (
        select
            as_of_date,
            period_days,
            {{ dimension }},
            count(*) as request_count,
            row_number() over (
                partition by as_of_date, period_days
                order by count(*) desc, {{ dimension }} asc
            ) as request_rank
        from {{ rows }}
        group by as_of_date, period_days, {{ dimension }}
    ) as ranked
    where request_rank <= 5
    group by as_of_date, period_days
{% endmacro %}

{#- SQL: the period lengths (days) of the builds snapshot marts, as a relation of period_days. -#}
{% macro build_period_lengths() -%}
    (select lengths.period_days from unnest(array[7, 30, 90]) as lengths (period_days))
{%- endmacro %}
