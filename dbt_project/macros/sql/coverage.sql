{#-
    What each source's loaded data covers: its first event day, and its last complete day: the
    day before the latest finished load of its event table that was loaded least recently
    (UTC; later late events restate it). A source is only as complete as its laggiest event
    feed: a stalled feed, or catalog files that keep arriving, never complete a day. A period
    is complete when it lies wholly inside: a month whose data starts on the 24th is not.
    `loads` and `load_event_dates` are the ledger's relations: the staging models for SQL in
    models (int_ingest__source_coverage), the raw sources for decisions taken at compile time.
-#}
{% macro source_coverage_sql(loads, load_event_dates) -%}
    select
        event_tables.source,
        min(event_tables.first_event_date) as first_event_date,
        {{ utc_date('min(event_tables.last_finished_at)') }} - 1 as complete_through,
        min(event_tables.last_finished_at) as loaded_through
    from (
        select
            loads.source,
            loads.table_name,
            min(dates.event_date) as first_event_date,
            max(loads.finished_at) as last_finished_at
        from {{ loads }} as loads
        left join {{ load_event_dates }} as dates on loads.load_id = dates.load_id
        where not loads.is_catalog
        group by loads.source, loads.table_name
    ) as event_tables
    group by event_tables.source
{%- endmacro %}

{#- SQL: whether a period lies inside its source's coverage; needs `coverage` (a row of
    int_ingest__source_coverage) in scope. -#}
{% macro period_is_complete(period_start, period_end) -%}
    coalesce(
        {{ period_start }} >= coverage.first_event_date
        and {{ period_end }} <= coverage.complete_through,
        false
    )
{%- endmacro %}
