{#- A raw table's last update, for `dbt source freshness` (loaded_at_query of every source):
    its last load in the ledger raw._loads, whoever loaded it, and the same time Dagster's
    freshness policies see (the load-ledger sensor reports each load). -#}
{% macro last_load(source_table) -%}
    select max(finished_at) from raw._loads where table_name = '{{ source_table.identifier }}'
{%- endmacro %}
