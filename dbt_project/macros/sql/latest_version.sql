{#- SQL: the current version of every row of a raw catalog table (modules, versions, fields...).
    A catalog table keeps every version the loader took (its primary key is the natural key
    and _load_id): the current one of a key is the version of the latest load. What every
    catalog staging model starts from, so they all agree on which version is current. -#}
{% macro current_versions(relation, key_columns) -%}
    {{ return(adapter.dispatch('current_versions')(relation, key_columns)) }}
{%- endmacro %}

{% macro default__current_versions(relation, key_columns) -%}
    select distinct on ({{ key_columns | join(', ') }}) *
    from {{ relation }}
    order by {% for column in key_columns %}{{ column }} asc, {% endfor %}_load_id desc
{%- endmacro %}

{#- Spark has no distinct on: the same row, the highest _load_id of each key. -#}
{% macro spark__current_versions(relation, key_columns) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }} order by _load_id desc
    ) = 1
{%- endmacro %}
