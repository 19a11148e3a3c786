{% macro grant_reader_access() %}
    {{ return(adapter.dispatch('grant_reader_access')()) }}
{% endmacro %}

{#- Spark (Thrift server, Parquet) has no roles to grant to: who reads the marts is the
    server's and the lake folder's business. Its grants config is skipped the same way. -#}
{% macro spark__grant_reader_access() %}
{% endmacro %}

{% macro spark__apply_grants(relation, grant_config, should_revoke=True) %}
{% endmacro %}

{% macro default__grant_reader_access() %}
    {#- The marts schema's half of the reader's access (each mart's own select is the
        grants config of the marts folder): use of the schema, select on what is in it (the
        `_latest` views too, which are no dbt models), and on the tables made in it later.
        The role: WAREHOUSE_READER_ROLE, as in dbt_project.yml. -#}
    do $$
    begin
        if to_regnamespace('marts') is not null then
            grant usage on schema marts to {{ adapter.quote(env_var('WAREHOUSE_READER_ROLE', 'warehouse_reader')) }};
            grant select on all tables in schema marts to {{ adapter.quote(env_var('WAREHOUSE_READER_ROLE', 'warehouse_reader')) }};
            alter default privileges in schema marts
            grant select on tables to {{ adapter.quote(env_var('WAREHOUSE_READER_ROLE', 'warehouse_reader')) }};
        end if;
    end $$
{% endmacro %}
