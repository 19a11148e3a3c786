{#-
    on-run-start: the sources as the engine sees them. PostgreSQL: nothing to do (the loader
    owns schema raw). Spark: every source table a model reads is an external Parquet table over its
    lake folder (ingest/lake.py, env WAREHOUSE_LAKE_DIR), created once, with the partitions
    exported since the last run recovered and cached file lists dropped, so a re-exported
    day is read anew. Spark infers the schema and the partition column (event_date=...
    folders) from the files; a table whose meta names lake_partition has its partitions
    recovered. Also checks the session time zone is UTC: event days are UTC days.
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
        {%- for node in graph.sources.values() if node.unique_id in read -%}
            {%- set partition = (node.config.meta or node.meta or {}).get('lake_partition') -%}
            {%- set relation = node.schema ~ '.' ~ node.identifier -%}
            {%- do run_query('create database if not exists ' ~ node.schema) -%}
            {%- do run_query(
                'create table if not exists ' ~ relation ~ ' using parquet'
                ~ " location '" ~ lake ~ '/' ~ node.identifier ~ "'"
            ) -%}
            {%- if partition -%}
                {%- do run_query('alter table ' ~ relation ~ ' recover partitions') -%}
            {%- endif -%}
            {%- do run_query('refresh table ' ~ relation) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
