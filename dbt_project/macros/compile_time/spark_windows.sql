{#-
    The compile-time windows on Spark. Spark keeps no run log (no snapshot ids, no
    transactional log table on Parquet), so what a run rebuilds comes from the window vars
    min_date / max_date (or WAREHOUSE_WINDOW_MIN_DATE / _MAX_DATE: Dagster's partitions),
    decided in Jinja with the same meaning as on PostgreSQL:
    - get_event_window: the days asked for, widened to whole periods, plus (reopen_incomplete)
      every period of the model still incomplete that can complete (the recent ones and its
      first, as on PostgreSQL); no vars: everything
      (insert_overwrite then rewrites every partition).
    - get_snapshot_dates: the days asked for (or var as_of_date, or the source's last complete
      day), plus every stored snapshot whose window holds an asked day; a full refresh also
      recomputes every stored snapshot. Never a day after the last complete day unless
      as_of_date names it.
    A late event is picked up by a run whose window holds its day (orchestration's sensor asks
    for that partition); a bare run without vars recomputes rollups whole but only the last
    complete day's snapshots.
-#}
{% macro spark__get_event_window(grain, period_column, reopen_incomplete) -%}
    {%- set first_day, last_day = get_requested_dates() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if first_day is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set ranges = [widened_dates(first_day, last_day, grain)] -%}
    {%- if reopen_incomplete and is_incremental() -%}
        {%- set coverage = get_source_coverage(model.fqn[2]) -%}
        {%- set stored = get_stored_partitions(this, period_column) -%}
        {%- if coverage.first_event_date and stored -%}
            {#- The recent periods and the first, as on PostgreSQL: a scan of every stored
                period read thousands of files at 1,000 days of history. -#}
            {%- set horizon = modules.datetime.date.fromisoformat(stored[-1])
                - modules.datetime.timedelta(days=reopen_horizon_days()) -%}
            {%- set reopened = run_query(
                "select distinct cast(" ~ period_column ~ " as string) from " ~ this
                ~ " where not is_complete and " ~ period_column
                ~ " >= date '" ~ coverage.first_event_date ~ "' and (" ~ period_column
                ~ " >= date '" ~ horizon.isoformat() ~ "' or " ~ period_column
                ~ " = date '" ~ stored[0] ~ "')"
            ) -%}
            {%- for row in reopened.rows -%}
                {%- do ranges.append(widened_dates(row[0], row[0], grain)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(ranges) }}
{%- endmacro %}

{% macro spark__get_snapshot_dates(reads_days, source_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set explicit_day = var('as_of_date') -%}
    {%- if explicit_day -%}
        {{ return([explicit_day | string]) }}
    {%- endif -%}
    {%- set first_day, last_day = get_requested_dates() -%}
    {%- set coverage = get_source_coverage(source_name) -%}
    {%- set days = [] -%}
    {%- if first_day -%}
        {%- do days.extend(dates_between(first_day, last_day)) -%}
    {%- elif coverage.complete_through -%}
        {%- do days.append(coverage.complete_through) -%}
    {%- endif -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing and (first_day or not is_incremental()) -%}
        {#- Stored snapshots whose window holds an asked day; on a full refresh, all. -#}
        {%- set touched = "true" if not is_incremental() else (
            "as_of_date between date '" ~ first_day ~ "' and date_add(date '" ~ last_day
            ~ "', " ~ (reads_days - 1) ~ ")") -%}
        {%- for row in run_query(
            "select distinct cast(as_of_date as string) from " ~ existing ~ " where " ~ touched
        ).rows -%}
            {%- do days.append(row[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set complete = coverage.complete_through or '0000-00-00' -%}
    {{ return(days | select('le', complete) | unique | sort | list) }}
{%- endmacro %}

{#- The values of a table's partition column `column`, sorted (ISO days): from the metastore,
    no file read. -#}
{% macro get_stored_partitions(relation, column) -%}
    {%- set values = [] -%}
    {%- for row in run_query('show partitions ' ~ relation).rows -%}
        {%- set name, value = row[0].split('=', 1) -%}
        {%- if name != column -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " is partitioned by " ~ name ~ ", not by " ~ column) }}
        {%- endif -%}
        {%- do values.append(value) -%}
    {%- endfor -%}
    {{ return(values | sort) }}
{%- endmacro %}

{#- {start, end}: the ISO days first..last widened to whole periods of `grain` (ISO weeks). -#}
{% macro widened_dates(first_day, last_day, grain) -%}
    {%- set date = modules.datetime.date -%}
    {%- set day = modules.datetime.timedelta(days=1) -%}
    {%- set first = date.fromisoformat(first_day | string) -%}
    {%- set last = date.fromisoformat(last_day | string) -%}
    {%- if grain == 'week' -%}
        {%- set first = first - day * first.weekday() -%}
        {%- set last = last + day * (6 - last.weekday()) -%}
    {%- elif grain == 'month' -%}
        {%- set first = first.replace(day=1) -%}
        {%- set next_month = last.replace(day=28) + day * 4 -%}
        {%- set last = next_month - day * next_month.day -%}
    {%- endif -%}
    {{ return({'start': first.isoformat(), 'end': last.isoformat()}) }}
{%- endmacro %}

{#- Every ISO day from first to last, inclusive. -#}
{% macro dates_between(first_day, last_day) -%}
    {%- set first = modules.datetime.date.fromisoformat(first_day | string) -%}
    {%- set last = modules.datetime.date.fromisoformat(last_day | string) -%}
    {%- set days = [] -%}
    {%- for offset in range((last - first).days + 1) -%}
        {%- do days.append((first + modules.datetime.timedelta(days=offset)).isoformat()) -%}
    {%- endfor -%}
    {{ return(days) }}
{%- endmacro %}

{#- A source system's coverage read at compile time from the ledger: {first_event_date,
    complete_through} as ISO days (none while it has no load). Either engine. -#}
{% macro get_source_coverage(source_name) -%}
    {%- set found = run_query(
        "select cast(first_event_date as " ~ type_text() ~ "), cast(complete_through as "
        ~ type_text() ~ ") from (" ~ source_coverage_sql(
            source('ingest', '_loads'), source('ingest', '_load_event_dates'))
        ~ ") as sources where sources.source = '" ~ source_name ~ "'"
    ).rows -%}
    {%- if found -%}
        {{ return({'first_event_date': found[0][0], 'complete_through': found[0][1]}) }}
    {%- endif -%}
    {{ return({'first_event_date': none, 'complete_through': none}) }}
{%- endmacro %}

{#- No run log on Spark: a catalog model is rebuilt whole by every run (insert_overwrite
    rewrites each of its partitions). -#}
{% macro spark__get_catalog_window() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__get_append_window(grain) -%}
    {{ return(get_event_window(grain)) }}
{%- endmacro %}
