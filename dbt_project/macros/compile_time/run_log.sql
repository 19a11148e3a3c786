{#-
    The run log: one row per run of every incremental model, saying which snapshot of the
    database its inputs were read with, which days it rebuilt (`changed`) and which days it
    learnt of but left for a later run (`pending`, outside an explicit window).

    A model's next run reads it to find what changed upstream since: the changed days of its
    parent models and the event days of raw loads whose transaction was not visible in that
    snapshot. So late data of any age reaches every model, whichever models a run selects,
    and a model never consumes a change its parents have not made yet.

    The row is written when the window is computed (compile time) and marked as succeeded by
    the model's post-hook, in the model's own transaction: a failed run leaves no trace.
-#}

{% macro run_log_relation() -%}
    {{ adapter.quote(target.schema) }}._model_runs
{%- endmacro %}

{#- on-run-start: the log table, created once per target. -#}
{% macro create_run_log() -%}
    {{ return(adapter.dispatch('create_run_log')()) }}
{%- endmacro %}

{#- Spark keeps no run log: its window comes only from the vars (spark_windows.sql). -#}
{% macro spark__create_run_log() -%}
{%- endmacro %}

{% macro default__create_run_log() -%}
    create schema if not exists {{ adapter.quote(target.schema) }};
    create table if not exists {{ run_log_relation() }} (
        model         text           not null,
        invocation_id text           not null,
        recorded_at   timestamptz    not null default clock_timestamp(),
        read_snapshot pg_snapshot    not null,
        date_kind     text           not null check (date_kind in ('event', 'as_of')),
        changed       datemultirange not null,
        pending       datemultirange not null,
        succeeded_xid xid8
    );
    create index if not exists _model_runs_model_idx
        on {{ run_log_relation() }} (model, recorded_at);
    create index if not exists _model_runs_xid_idx on {{ run_log_relation() }} (succeeded_xid);
{%- endmacro %}

{#- The name a model has in the log: schema.identifier of its relation. -#}
{% macro run_log_key(node) -%}
    {{- node.schema ~ '.' ~ (node.alias or node.name) -}}
{%- endmacro %}

{#- Post-hook of every incremental model: its run counts once its data commits. -#}
{% macro mark_run_succeeded() -%}
    {{ return(adapter.dispatch('mark_run_succeeded')()) }}
{%- endmacro %}

{% macro spark__mark_run_succeeded() -%}
{%- endmacro %}

{% macro default__mark_run_succeeded() -%}
    {%- if model.config.materialized == 'incremental' -%}
        update {{ run_log_relation() }}
        set succeeded_xid = pg_current_xact_id()
        where model = '{{ run_log_key(model) }}' and invocation_id = '{{ invocation_id }}'
    {%- endif -%}
{%- endmacro %}

{#- The days this run recorded as rebuilt, as ranges for in_window ([] for none); none
    without a record (a model that takes no window). Read by the delete of delete+insert. -#}
{% macro get_recorded_window() -%}
    {%- set found = run_query(
        "select lower(ranges.r)::text, (upper(ranges.r) - 1)::text, isempty(ranges.r)"
        ~ " from " ~ run_log_relation() ~ " as runs"
        ~ " left join lateral unnest(runs.changed) as ranges (r) on true"
        ~ " where runs.model = '" ~ run_log_key(model) ~ "'"
        ~ " and runs.invocation_id = '" ~ invocation_id ~ "'"
    ).rows -%}
    {%- if not found -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set ranges = [] -%}
    {%- for row in found if row[2] is false -%}
        {%- do ranges.append({'start': row[0], 'end': row[1]}) -%}
    {%- endfor -%}
    {{ return(ranges) }}
{%- endmacro %}

{#- Whether this run writes the model (and so records itself): not for compile or docs. -#}
{% macro run_is_recorded() -%}
    {{- return(execute and flags.WHICH in ('run', 'build') and model.resource_type == 'model') -}}
{%- endmacro %}

{#-
    What the model reads, as the run log sees it: the incremental models upstream (reached
    through views and ephemeral models, which keep no log) and the raw tables of the sources
    upstream. Returns {'models': [log keys], 'tables': [raw table names]}.
-#}
{% macro get_upstream_inputs() -%}
    {%- set found = namespace(models=[], tables=[], todo=model.depends_on.nodes | list, seen=[]) -%}
    {%- for _ in range(1000) if found.todo -%}
        {%- set unique_id = found.todo[0] -%}
        {%- set found.todo = found.todo[1:] -%}
        {%- if unique_id not in found.seen -%}
            {%- set found.seen = found.seen + [unique_id] -%}
            {%- if unique_id.startswith('source.') -%}
                {%- set found.tables = found.tables + [graph.sources[unique_id].identifier] -%}
            {%- elif unique_id in graph.nodes -%}
                {%- set parent = graph.nodes[unique_id] -%}
                {%- if parent.config.materialized == 'incremental' -%}
                    {%- set found.models = found.models + [run_log_key(parent)] -%}
                {%- else -%}
                    {%- set found.todo = found.todo + (parent.depends_on.nodes | list) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'models': found.models | unique | list, 'tables': found.tables | unique | list}) }}
{%- endmacro %}

{#- A SQL list of string literals; `null` keeps `in (...)` valid when the list is empty. -#}
{% macro sql_string_list(values) -%}
    {%- if values -%}
        {%- for value in values -%}'{{ value }}'{{ ', ' if not loop.last }}{%- endfor -%}
    {%- else -%}
        null
    {%- endif -%}
{%- endmacro %}

{#-
    CTEs `last_run` (this model's latest successful run) and `input_changes` (one row per
    range of days changed upstream since that run read its inputs, with its date_kind). A raw
    event load changes its event days; a catalog load (modules,
    versions...) changes every day from the day its rows were created on, since catalogs
    describe state from then on. Without a previous run both are empty: the caller falls back
    to its default.
-#}
{% macro input_changes_ctes() -%}
    {%- set inputs = get_upstream_inputs() -%}
    last_run as (
        select runs.read_snapshot, runs.pending
        from {{ run_log_relation() }} as runs
        where runs.model = '{{ run_log_key(model) }}' and runs.succeeded_xid is not null
        order by runs.recorded_at desc
        limit 1
    ),

    input_changes as (
        select changes.range_of_days, runs.date_kind
        from {{ run_log_relation() }} as runs
        cross join last_run
        cross join lateral unnest(runs.changed) as changes (range_of_days)
        where
            runs.model in ({{ sql_string_list(inputs.models) }})
            and runs.succeeded_xid >= pg_snapshot_xmin(last_run.read_snapshot)
            and not pg_visible_in_snapshot(runs.succeeded_xid, last_run.read_snapshot)
        union all
        select
            case
                when loads.is_catalog then daterange(dates.event_date, null)
                else daterange(dates.event_date, dates.event_date, '[]')
            end,
            'event'
        from {{ source('ingest', '_load_event_dates') }} as dates
        inner join {{ source('ingest', '_loads') }} as loads on dates.load_id = loads.load_id
        cross join last_run
        where
            dates.table_name in ({{ sql_string_list(inputs.tables) }})
            and loads.load_xid >= pg_snapshot_xmin(last_run.read_snapshot)
            and not pg_visible_in_snapshot(loads.load_xid, last_run.read_snapshot)
    )
{%- endmacro %}

{#- CTE `coverage`: one row, the first event day and last complete day of a source system
    (null while it has no load), for decisions taken at compile time. -#}
{% macro source_coverage_cte(source_name) -%}
    coverage as (
        select
            max(sources.first_event_date) as first_event_date,
            max(sources.complete_through) as complete_through
        from ({{ source_coverage_sql(source('ingest', '_loads'),
                                     source('ingest', '_load_event_dates')) }}) as sources
        where sources.source = '{{ source_name }}'
    )
{%- endmacro %}

{#-
    Runs `computed_sql` (a query with columns changed, pending: datemultirange) after the CTEs
    given, records the run when this run writes the model, and returns the `changed` ranges as
    a list of {'start': iso date or none, 'end': inclusive iso date or none}.
-#}
{% macro record_run(ctes, computed_sql, date_kind) -%}
    {%- if run_is_recorded() -%}
        {#- One run of a model at a time: a second waits here until the first commits, then
            reads what it wrote (its own statement, so the window's snapshot comes after). -#}
        {%- do run_query(
            "select pg_advisory_xact_lock(hashtext('_model_runs:" ~ run_log_key(model) ~ "'))"
        ) -%}
    {%- endif -%}
    {%- set statement -%}
        with {{ ctes }},

        computed as (
            {{ computed_sql }}
        ),

        {% if run_is_recorded() -%}
        recorded as (
            insert into {{ run_log_relation() }}
                (model, invocation_id, read_snapshot, date_kind, changed, pending)
            select
                '{{ run_log_key(model) }}', '{{ invocation_id }}', pg_current_snapshot(),
                '{{ date_kind }}', computed.changed, computed.pending
            from computed
            returning changed
        )
        {%- else -%}
        recorded as (select changed from computed)
        {%- endif %}
    {%- endset -%}
    {{ return(get_ranges_of(statement, 'recorded', 'changed')) }}
{%- endmacro %}

{#- Runs `with_ctes` (a WITH clause, which may write: it stays at the top level) followed by a
    query of the datemultirange `column` of its CTE `relation`; returns its ranges as a list of
    {'start': iso date or none, 'end': inclusive iso date or none}. -#}
{% macro get_ranges_of(with_ctes, relation, column) -%}
    {%- set listed -%}
        {{ with_ctes }}

        select lower(ranges.r)::text, (upper(ranges.r) - 1)::text
        from {{ relation }}
        cross join lateral unnest({{ relation }}.{{ column }}) as ranges (r)
        order by lower(ranges.r) nulls first
    {%- endset -%}
    {%- set ranges = [] -%}
    {%- for row in run_query(listed).rows -%}
        {%- do ranges.append({'start': row[0], 'end': row[1]}) -%}
    {%- endfor -%}
    {{ return(ranges) }}
{%- endmacro %}
