{#- The production target (`prod`) builds exactly the schema a folder names (staging,
    intermediate, marts): BI tools read `marts`. Any other target (`dev`) prefixes it with
    the target's own schema (dev_alice_marts), so an engineer's builds never touch what BI
    tools read: dbt's generate_schema_name_for_env convention, keeping the layers apart. The
    Spark targets build the same schemas as prod, in Spark's own catalog. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name == 'prod' or target.type == 'spark' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
