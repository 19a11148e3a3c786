{#-
    What a change does before it merges: a model's relation in the engineer's dev schema
    against production's, keyed by the model's primary key, the way audit-helper's
    compare_relations reports it (rows on each side, keys on one side only, and per column the
    values that changed for keys on both). min_date / max_date limit both sides to those days
    of the model's unique_key (period_start or as_of_date).

        dbt run-operation compare_with_production --args '{model: module_stats_daily}'
        make compare MODEL=module_stats_daily FROM=2026-11-01 TO=2026-11-07
-#}
{% macro compare_with_production(model, min_date=none, max_date=none) %}
    {%- set node = _compared_model(model) -%}
    {%- set production = _existing_relation(node.config.schema, node.alias, 'production') -%}
    {%- set dev_schema = generate_schema_name(node.config.schema, node) | trim -%}
    {%- if dev_schema == node.config.schema -%}
        {{ exceptions.raise_compiler_error(
            "target " ~ target.name ~ " builds production itself: compare from a dev target") }}
    {%- endif -%}
    {%- set development = _existing_relation(dev_schema, node.alias, 'dev') -%}
    {%- set keys = _primary_key(node) -%}
    {%- set values = adapter.get_columns_in_relation(production)
        | map(attribute='name') | reject('in', keys) | list -%}
    {%- set window = _compared_days(node, min_date, max_date) -%}
    {%- set counts = run_query(_comparison_query(production, development, keys, values, window)).rows[0] -%}

    {%- set lines = [
        "compare " ~ model ~ ": " ~ production.include(database=false) ~ " (production) with " ~ development.include(database=false) ~ " (dev)"
        ~ (", " ~ node.config.unique_key ~ " " ~ (min_date or '...') ~ " .. " ~ (max_date or '...') if window else ""),
        "  key: " ~ keys | join(", "),
    ] -%}
    {%- set labels = ["rows in production", "rows in dev", "keys only in production",
                      "keys only in dev", "keys in both"] -%}
    {%- for label in labels -%}
        {%- do lines.append("  " ~ "%-32s" | format(label) ~ "%12d" | format(counts[loop.index0])) -%}
    {%- endfor -%}
    {%- do lines.append("  changed values of keys in both, by column:") -%}
    {%- for column in values -%}
        {%- do lines.append("    " ~ "%-30s" | format(column) ~ "%12d" | format(counts[labels | length + loop.index0])) -%}
    {%- endfor -%}
    {%- set differing = counts[2] + counts[3] + (counts[labels | length:] | sum) -%}
    {%- do lines.append("  " ~ ("identical" if differing == 0 else "DIFFERENT")) -%}
    {{ print(lines | join("\n")) }}
{% endmacro %}

{% macro _compared_model(model) %}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == model -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no model named " ~ model) }}
{% endmacro %}

{% macro _existing_relation(schema, identifier, side) %}
    {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=identifier) -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error(
            "no " ~ side ~ " relation " ~ schema ~ "." ~ identifier ~ ": build it first") }}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}

{% macro _primary_key(node) %}
    {%- for constraint in node.constraints if constraint.type == 'primary_key' -%}
        {{ return(constraint.columns) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        node.name ~ " declares no primary key: rows cannot be paired") }}
{% endmacro %}

{% macro _compared_days(node, min_date, max_date) %}
    {%- if min_date is none and max_date is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set column = adapter.quote(node.config.unique_key) -%}
    {%- set bounds = [] -%}
    {%- for bound, operator in [(min_date, ">="), (max_date, "<=")] if bound is not none -%}
        {#- A date, or an error: nothing else reaches the SQL. -#}
        {%- set day = modules.datetime.date.fromisoformat(bound | string) -%}
        {%- do bounds.append(column ~ " " ~ operator ~ " date '" ~ day.isoformat() ~ "'") -%}
    {%- endfor -%}
    {{ return(bounds | join(" and ")) }}
{% endmacro %}

{% macro _comparison_query(production, development, keys, values, window) %}
    {%- set filter = "where " ~ window if window else "" -%}
    with
    production as (select *, true as _in_production from {{ production }} {{ filter }}),
    development as (select *, true as _in_dev from {{ development }} {{ filter }})
    select
        count(*) filter (where p._in_production),
        count(*) filter (where d._in_dev),
        count(*) filter (where p._in_production and d._in_dev is null),
        count(*) filter (where d._in_dev and p._in_production is null),
        count(*) filter (where p._in_production and d._in_dev)
        {%- for column in values %},
        count(*) filter (
            where p._in_production and d._in_dev
            and p.{{ adapter.quote(column) }} is distinct from d.{{ adapter.quote(column) }}
        )
        {%- endfor %}
    from production as p
    full outer join development as d
        on {% for key in keys %}{{ "and " if not loop.first }}p.{{ adapter.quote(key) }} = d.{{ adapter.quote(key) }} {% endfor %}
{% endmacro %}
