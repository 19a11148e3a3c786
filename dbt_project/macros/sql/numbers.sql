{#- SQL: a numeric rounded half up to `digits` decimals, exactly. PostgreSQL's numeric division
    stops at about 20 significant digits, so a third leaves an error there and an exact tie
    (59.325) can come out as 59.32499...; rounding to 12 decimals first removes that error
    (no exact value of a score lies that close to a tie). -#}
{% macro round_half_up(expression, digits) -%}
    round(round({{ expression }}, 12), {{ digits }})
{%- endmacro %}
