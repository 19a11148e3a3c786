{#- Post-hook of every mart: a snapshot mart (unique_key as_of_date) gets a view
    <mart>_latest of its newest snapshot, so a BI query never needs max(as_of_date). Dropped
    and made again in the model's transaction: its columns follow the mart's. -#}
{% macro latest_snapshot_view() -%}
    {{ return(adapter.dispatch('latest_snapshot_view')()) }}
{%- endmacro %}

{% macro default__latest_snapshot_view() -%}
    {%- if model.config.materialized == 'incremental' and model.config.unique_key == 'as_of_date' -%}
        {%- set latest = this.incorporate(path={'identifier': this.identifier ~ '_latest'}, type='view') -%}
        drop view if exists {{ latest }};
        create view {{ latest }} as
        select * from {{ this }}
        where as_of_date = (select max(as_of_date) from {{ this }});
        {%- set description = "The newest snapshot of " ~ this.identifier
            ~ " (its latest as_of_date): " ~ (model.description | trim) %}
        comment on view {{ latest }} is '{{ description | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}

{#- Spark: the same view, made by one statement (no comment on a view: it has no such DDL). -#}
{% macro spark__latest_snapshot_view() -%}
    {%- if model.config.materialized == 'incremental' and model.config.unique_key == 'as_of_date' -%}
        create or replace view {{ this.incorporate(path={'identifier': this.identifier ~ '_latest'}) }} as
        select * from {{ this }}
        where as_of_date = (select max(as_of_date) from {{ this }})
    {%- endif -%}
{%- endmacro %}
