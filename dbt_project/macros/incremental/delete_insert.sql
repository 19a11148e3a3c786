{#-
    delete+insert for PostgreSQL: delete the periods this run rebuilt, then insert its rows.

    dbt's default deletes only the keys present in the new rows, so a period that has no rows
    any more (a snapshot whose modules all stopped trending after late data) would keep its
    stale rows. Here the delete covers the days the run recorded as rebuilt in the run log
    (macros/compile_time/run_log.sql), plus the keys of the new rows, as index ranges on the
    period key: the cost of a day stays the cost of a day. dbt's default deletes `where key in
    (select distinct key from <new rows>)`, a temp table without statistics that PostgreSQL
    may hash-join against a scan of the whole target; `key = any(array(...))` looks the few
    keys up through the index instead. Compound keys keep dbt's statement.
-#}
{% macro postgres__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- if unique_key is string or (unique_key is iterable and unique_key | length == 1) -%}
        {%- set key = unique_key if unique_key is string else unique_key[0] -%}
        {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
        {%- set rebuilt = get_recorded_window() -%}
        delete from {{ target }} as dbt_internal_dest
        where (
            {% if rebuilt is not none -%}
                {{ in_window('dbt_internal_dest.' ~ key, rebuilt) }} or
            {% endif -%}
            {{ key }} = any(array(
                select distinct dbt_internal_source.{{ key }} from {{ source }} as dbt_internal_source
            ))
        )
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
