{#-
    Incremental strategy insert_new: insert the run's rows, skipping every row the target
    already holds (`on conflict do nothing` on its unique index). For a model that is a set
    growing with the events (each member of a period once): a run adds what its window
    brought and never deletes, so a repeated or overlapping window writes nothing twice and
    leaves no dead rows. Raw events are never deleted (the loader only adds; retention drops
    raw partitions, not what staging copied), so the set equals a full refresh.
-#}
{% macro get_incremental_insert_new_sql(arg_dict) -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    insert into {{ arg_dict['target_relation'] }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }}
    from {{ arg_dict['temp_relation'] }}
    on conflict do nothing
{%- endmacro %}
