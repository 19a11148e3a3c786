{#-
    What each source's loaded data covers: its first event day and its last complete day (the
    day before its latest finished load, UTC; later late events restate it). A period is
    complete when it lies wholly inside: a month whose data starts on the 24th is not.
    `loads` and `load_event_dates` are the ledger's relations: the staging models for SQL in
    models (int_ingest__source_coverage), the raw sources for decisions taken at compile time.
-#}
{% macro source_coverage_sql(loads, load_event_dates) -%}
    select
        loads.source,
        min(dates.event_date) as first_event_date,
        (max(loads.finished_at) at time zone 'UTC')::date - 1 as complete_through
    from {{ loads }} as loads
    left join {{ load_event_dates }} as dates on loads.load_id = dates.load_id
    group by loads.source
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
