{#-
    The snapshot days (as_of_date) a snapshot mart (re)computes in this run. A snapshot as of
    day D reads the `reads_days` days ending on D, so a change to day X concerns the snapshots
    of X .. X + reads_days - 1. Decided before the model's SQL runs; returns a list of ISO
    dates, never a day after the source's last complete day unless var as_of_date names it.

    - var as_of_date: that one day (`dbt build --vars '{as_of_date: 2026-10-01}'`).
    - vars min_date / max_date (a Dagster partition run, a past day from the UI): those days.
    - neither: the source's last complete day.
    In every case also each stored snapshot whose window a change upstream touched since the
    model's last run, so history stays equal to a recomputation. A requested day that is not
    complete yet stays pending and is built by the first run after it completes.
    --full-refresh recomputes every stored snapshot (and the requested days): the history is
    kept, recomputed from today's data.
-#}
{% macro get_snapshot_dates(reads_days, source_name) -%}
    {%- if execute and config.get('unique_key') != 'as_of_date' -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": a snapshot mart is keyed by as_of_date, not by "
            ~ config.get('unique_key')) }}
    {%- endif -%}
    {{ return(adapter.dispatch('get_snapshot_dates')(reads_days, source_name)) }}
{%- endmacro %}

{% macro default__get_snapshot_dates(reads_days, source_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set explicit_day = var('as_of_date') -%}
    {%- set first_day, last_day = get_requested_dates() -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- set ctes -%}
        {% if is_incremental() -%}
            {{ input_changes_ctes() }},
        {%- else -%}
            last_run as (select '{}'::datemultirange as pending),
            input_changes as (select null::daterange as range_of_days, null as date_kind),
        {%- endif %}

        {{ source_coverage_cte(source_name) }},

        {#- The snapshot days upstream changes touch (a change to day X: X .. X + reads_days
            - 1); on a full refresh, every day. -#}
        touched as (
            select
                {% if is_incremental() -%}
                    coalesce((
                        select range_agg(case
                            when date_kind = 'as_of' then range_of_days
                            else daterange(
                                lower(range_of_days),
                                upper(range_of_days) + {{ reads_days - 1 }}
                            )
                        end)
                        from input_changes
                    ), '{}'::datemultirange)
                {%- else -%}
                    '{(,)}'::datemultirange
                {%- endif %} as days
        ),

        {#- The stored snapshot days among them (read within their bounds, through the index on
            as_of_date: a long history is not scanned). -#}
        stored as (
            select
                {% if existing -%}
                    coalesce(
                        (select range_agg(daterange(as_of_date, as_of_date, '[]'))
                         from (
                             select distinct snapshots.as_of_date
                             from {{ existing }} as snapshots
                             cross join touched
                             where
                                 not isempty(touched.days)
                                 and snapshots.as_of_date
                                 >= coalesce(lower(touched.days), '-infinity'::date)
                                 and snapshots.as_of_date
                                 < coalesce(upper(touched.days), 'infinity'::date)
                         ) as touched_snapshots),
                        '{}'::datemultirange
                    )
                {%- else -%}
                    '{}'::datemultirange
                {%- endif %} as days
        ),

        requested as (
            select
                {% if explicit_day -%}
                    datemultirange(daterange(
                        '{{ explicit_day | string }}', '{{ explicit_day | string }}', '[]'
                    ))
                {%- elif first_day -%}
                    datemultirange(daterange('{{ first_day }}', '{{ last_day }}', '[]'))
                {%- else -%}
                    case
                        when coverage.complete_through is null then '{}'::datemultirange
                        else datemultirange(daterange(
                            coverage.complete_through, coverage.complete_through, '[]'
                        ))
                    end
                {%- endif %} as days
            from coverage
        ),

        {#- Restated stored snapshots, days requested before they were complete, and this
            run's request. -#}
        needed as (
            select
                touched.days * stored.days
                + coalesce((select pending from last_run), '{}'::datemultirange)
                + requested.days as days
            from touched cross join stored cross join requested
        ),

        complete_days as (
            select
                case
                    when complete_through is null then '{}'::datemultirange
                    else datemultirange(daterange(null, complete_through, '[]'))
                end as days
            from coverage
        )
    {%- endset -%}
    {#- An explicit as_of_date is built whatever its completeness; otherwise what is needed
        and complete. A full refresh rebuilds every stored snapshot it found. -#}
    {%- set computed -%}
        select built.days as changed, needed.days - built.days as pending
        from needed cross join lateral (
            select
                {% if explicit_day -%}
                    requested.days
                {%- else -%}
                    needed.days * complete_days.days
                {%- endif %}
                {%- if not is_incremental() %} + stored.days{% endif %} as days
            from requested cross join stored cross join complete_days
        ) as built
    {%- endset -%}
    {%- set dates = [] -%}
    {%- for built in record_run(ctes, computed, 'as_of') -%}
        {%- set day = modules.datetime.date.fromisoformat(built.start) -%}
        {%- set last = modules.datetime.date.fromisoformat(built.end) -%}
        {%- for offset in range((last - day).days + 1) -%}
            {%- do dates.append((day + modules.datetime.timedelta(days=offset)).isoformat()) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(dates) }}
{%- endmacro %}
