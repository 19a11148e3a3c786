{#-
    on-run-start: the sources as the engine sees them. PostgreSQL: nothing to do (the loader
    owns schema raw). Spark: every source table a model reads is an external Parquet table
    over its lake folder (ingest/lake.py, env WAREHOUSE_LAKE_DIR), created once, its cached
    file lists dropped every run, so a re-exported day is read anew. Spark infers the schema
    and the partition column (event_date=... folders) from the files; a table whose meta
    names lake_partition has the days exported since the last run registered. Also checks
    the session time zone is UTC: event days are UTC days.
-#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('WAREHOUSE_LAKE_DIR') -%}
        {%- set zone = run_query('select current_timezone()').columns[0].values()[0] -%}
        {%- if zone != 'UTC' -%}
            {{ exceptions.raise_compiler_error(
                "Spark's session time zone is " ~ zone ~ ", not UTC: event days would shift."
                ~ " Set spark.sql.session.timeZone=UTC (the profile's spark targets do)") }}
        {%- endif -%}
        {%- set read = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
            {%- do read.extend(node.depends_on.nodes) -%}
        {%- endfor -%}
        {%- set partitioned = [] -%}
        {%- for node in graph.sources.values() if node.unique_id in read -%}
            {%- set relation = node.schema ~ '.' ~ node.identifier -%}
            {%- do run_query('create database if not exists ' ~ node.schema) -%}
            {%- do run_query(
                'create table if not exists ' ~ relation ~ ' using parquet'
                ~ " location '" ~ lake ~ '/' ~ node.identifier ~ "'"
            ) -%}
            {%- do run_query('refresh table ' ~ relation) -%}
            {%- set column = (node.config.meta or node.meta or {}).get('lake_partition') -%}
            {%- if column -%}
                {%- do partitioned.append({'name': node.identifier, 'relation': relation,
                                           'column': column}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do recover_new_lake_partitions(partitioned) -%}
    {%- endif -%}
{%- endmacro %}

{#- Registers the day folders exported since the last run: a table is recovered (its folders
    listed, every partition written to the metastore, seconds at 1,000 days) only when the
    ledger names a day of it that the metastore lacks. `tables`: {name, relation, column}
    of each day-partitioned source table. -#}
{% macro recover_new_lake_partitions(tables) -%}
    {%- if not tables -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set ledger_days = {} -%}
    {%- for row in run_query(
        "select table_name, cast(event_date as string) from "
        ~ source('ingest', '_load_event_dates') ~ " group by 1, 2"
    ).rows -%}
        {%- do ledger_days.setdefault(row[0], []).append(row[1]) -%}
    {%- endfor -%}
    {%- for table in tables -%}
        {%- set registered = get_stored_partitions(table.relation, table.column) -%}
        {%- if ledger_days.get(table.name, []) | reject('in', registered) | list -%}
            {#- Spark drops the table's cached file lists as it recovers: no refresh after. -#}
            {%- do run_query('alter table ' ~ table.relation ~ ' recover partitions') -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
