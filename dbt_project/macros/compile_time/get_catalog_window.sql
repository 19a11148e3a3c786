{#-
    The catalog days a model built only from catalogs (modules, versions, fields,
    dependencies) rebuilds in this run: exactly the days the catalog loads since its last
    run changed (a catalog row changes every day from its creation; a catalog without a
    creation time, every day), whatever window the run was given. Event days do not concern
    such a model, so a run with no catalog load rebuilds nothing and costs one look at the
    run log, instead of recomputing the whole catalog every run; a catalog change is never
    left pending by an explicit window (the snapshot marts that read the model always see
    the current catalog, as they did when it was inlined).

    Returns none (everything: first build, --full-refresh) or a list of ranges {'start',
    'end'} (inclusive ISO dates; none = unbounded) of the model's unique_key, for in_window.
    Records the run in the run log, so models downstream learn which days changed.
-#}
{% macro get_catalog_window() -%}
    {{ return(adapter.dispatch('get_catalog_window')()) }}
{%- endmacro %}

{% macro default__get_catalog_window() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if is_incremental() -%}
        {%- set ctes = input_changes_ctes() -%}
        {%- set computed -%}
            {#- No successful run on record (a table kept from before the run log): everything. -#}
            select
                case
                    when not exists (select from last_run) then '{(,)}'::datemultirange
                    else coalesce(
                        (select range_agg(range_of_days) from input_changes),
                        '{}'::datemultirange
                    )
                end as changed,
                '{}'::datemultirange as pending
        {%- endset -%}
    {%- else -%}
        {%- set ctes = "everything as (select '{(,)}'::datemultirange as days)" -%}
        {%- set computed = "select days as changed, '{}'::datemultirange as pending from everything" -%}
    {%- endif -%}
    {%- set window = record_run(ctes, computed, 'event') -%}
    {{ return(window if is_incremental() else none) }}
{%- endmacro %}

{#- The event days a model that only ever adds rows reads in this run. PostgreSQL adds what is
    new (strategy insert_new): the run's days. Spark replaces whole partitions
    (insert_overwrite): the run's days widened to whole periods of `grain`, its partition. -#}
{% macro get_append_window(grain) -%}
    {{ return(adapter.dispatch('get_append_window')(grain)) }}
{%- endmacro %}

{% macro default__get_append_window(grain) -%}
    {{ return(get_event_window('day')) }}
{%- endmacro %}
