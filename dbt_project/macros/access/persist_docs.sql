{#-
    persist_docs on PostgreSQL (marts: +persist_docs relation and columns), written only where
    the stored comment differs from the description. dbt's own version writes the table's
    comment and every column's on every run, after reading the columns again: four statements
    per mart per run that change nothing once the docs are in place. Here one read of the
    stored comments (the table's and its columns'), then only the comments that changed (all
    of them for a table just made).
-#}
{% macro postgres__persist_docs(relation, model, for_relation=true, for_columns=true) -%}
    {%- set relation_docs = for_relation and config.persist_relation_docs() and model.description -%}
    {%- set column_docs = for_columns and config.persist_column_docs() and model.columns -%}
    {%- if not (relation_docs or column_docs) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set stored = run_query(
        "select attributes.attname, col_description(tables.oid, attributes.attnum),"
        ~ " obj_description(tables.oid, 'pg_class')"
        ~ " from pg_class as tables"
        ~ " left join pg_attribute as attributes on attributes.attrelid = tables.oid"
        ~ " and attributes.attnum > 0 and not attributes.attisdropped"
        ~ " where tables.oid = '" ~ relation.include(database=false) ~ "'::regclass"
    ).rows -%}
    {%- set statements = [] -%}
    {%- if relation_docs and (stored[0][2] or '') != model.description -%}
        {%- do statements.append(alter_relation_comment(relation, model.description)) -%}
    {%- endif -%}
    {%- if column_docs -%}
        {%- set stored_columns = {} -%}
        {%- for row in stored if row[0] is not none -%}
            {%- do stored_columns.update({row[0]: row[1] or ''}) -%}
        {%- endfor -%}
        {%- for name, column in model.columns.items() -%}
            {%- set stored_name = name if column.quote else name | lower -%}
            {%- if stored_name in stored_columns
                and stored_columns[stored_name] != (column.description or '') -%}
                {%- do statements.append(
                    'comment on column ' ~ relation ~ '.' ~ adapter.quote(stored_name)
                    ~ ' is ' ~ postgres_escape_comment(column.description)
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
        {%- do run_query(statements | join(';\n')) -%}
    {%- endif -%}
{%- endmacro %}
