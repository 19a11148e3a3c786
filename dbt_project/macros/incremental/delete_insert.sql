{#-
    delete+insert for PostgreSQL whose delete is driven by the index on the period key.

    dbt's default deletes `where key in (select distinct key from <new rows>)`; the new rows
    are a fresh temp table without statistics, so the planner may hash-join it against a scan
    of the whole target, which grows with history. `key = any(array(...))` computes the few
    keys first and looks them up through the index: the cost of a day stays the cost of a day.
    Compound keys keep dbt's statement.
-#}
{% macro postgres__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- if unique_key is string or (unique_key is iterable and unique_key | length == 1) -%}
        {%- set key = unique_key if unique_key is string else unique_key[0] -%}
        {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
        delete from {{ target }} as dbt_internal_dest
        where {{ key }} = any(array(
            select distinct dbt_internal_source.{{ key }} from {{ source }} as dbt_internal_source
        ))
        {%- for predicate in incremental_predicates or [] %}
            and {{ predicate }}
        {%- endfor %};

        insert into {{ target }} ({{ dest_cols_csv }})
        (
            select {{ dest_cols_csv }}
            from {{ source }}
        )
    {%- else -%}
        {{ default__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) }}
    {%- endif -%}
{%- endmacro %}
