{#-
    SQL that PostgreSQL and Spark spell differently, one macro per difference: models call the
    macro, adapter.dispatch picks the version of the target's engine (default__ = PostgreSQL,
    spark__ = Spark SQL 4). The README's "The Spark target" lists what models must avoid.
-#}

{#- Type names for casts: PostgreSQL's `double precision` and `text` are no Spark types. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    text
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}

{#- Placed after `<cte> as`: PostgreSQL computes the CTE once however often the query names
    it (it inlines a CTE named more than once otherwise); Spark has no such hint. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}

{#- An expression as an exact fraction for score arithmetic: PostgreSQL's arbitrary-precision
    numeric; on Spark a double (its decimal division keeps 6 decimals, far coarser), so
    round_half_up's rounding to 12 decimals removes the noise on both. -#}
{% macro exact_number(expression) -%}
    {{ return(adapter.dispatch('exact_number')(expression)) }}
{%- endmacro %}

{% macro default__exact_number(expression) -%}
    ({{ expression }})::numeric
{%- endmacro %}

{% macro spark__exact_number(expression) -%}
    cast({{ expression }} as double)
{%- endmacro %}

{#- The UTC calendar day of a timestamp with time zone. Spark's session time zone is UTC
    (the profile sets it; register_lake_sources checks it), so its date is the UTC day. -#}
{% macro utc_date(timestamp) -%}
    {{ return(adapter.dispatch('utc_date')(timestamp)) }}
{%- endmacro %}

{% macro default__utc_date(timestamp) -%}
    ({{ timestamp }} at time zone 'UTC')::date
{%- endmacro %}

{% macro spark__utc_date(timestamp) -%}
    to_date({{ timestamp }})
{%- endmacro %}

{#- Whether a text matches a POSIX/Java regular expression (the same subset on both). -#}
{% macro matches_regex(text, pattern) -%}
    {{ return(adapter.dispatch('matches_regex')(text, pattern)) }}
{%- endmacro %}

{% macro default__matches_regex(text, pattern) -%}
    {{ text }} ~ '{{ pattern }}'
{%- endmacro %}

{% macro spark__matches_regex(text, pattern) -%}
    {{ text }} rlike '{{ pattern }}'
{%- endmacro %}

{#- The first group of a regular expression in a text; null when it does not match. -#}
{% macro regex_group(text, pattern) -%}
    {{ return(adapter.dispatch('regex_group')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_group(text, pattern) -%}
    substring({{ text }} from '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_group(text, pattern) -%}
    nullif(regexp_extract({{ text }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{#- An array of text of the non-null items (SQL expressions) given, in their order. -#}
{% macro text_array_without_nulls(items) -%}
    {{ return(adapter.dispatch('text_array_without_nulls')(items)) }}
{%- endmacro %}

{% macro default__text_array_without_nulls(items) -%}
    array_remove(array[{{ items | join(', ') }}], null)::text []
{%- endmacro %}

{% macro spark__text_array_without_nulls(items) -%}
    filter(array({{ items | join(', ') }}), item -> item is not null)
{%- endmacro %}

{#- SHA-256 in lowercase hex of a text (UTF-8). -#}
{% macro sha256_hex(text) -%}
    {{ return(adapter.dispatch('sha256_hex')(text)) }}
{%- endmacro %}

{% macro default__sha256_hex(text) -%}
    encode(sha256(convert_to({{ text }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__sha256_hex(text) -%}
    sha2({{ text }}, 256)
{%- endmacro %}
