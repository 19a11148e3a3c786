{#-
    build_stats_version_target and build_stats_profiles: one macro, the dimensions as a
    parameter. Requests (and the cache) are counted from the staged requests, builds from the
    staged builds with their request hash's version, target and profile; both by the UTC day
    of their own event time. Distinct counts are exact at this grain (never summed).
-#}
{% macro build_stats_by(dimensions) %}

{%- set window = get_event_window('day', reopen_incomplete=true) %}
{%- set keys = ['period_start'] + dimensions %}

with requests as (

    select * from {{ ref('stg_builds__requests') }}
    where {{ in_window('event_date', window) }}

),

staged_builds as (

    select * from {{ ref('stg_builds__builds') }}
    where {{ in_window('event_date', window) }}

),

{{ build_request_shapes('staged_builds') }}

builds as (

    select * from staged_builds_described

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'builds'

),

request_totals as (

    select
        event_date as period_start,
        {%- for dimension in dimensions %}
        {{ dimension }},
        {%- endfor %}
        count(*) as request_count,
        count(distinct request_hash) as unique_requests,
        count(distinct profile) as unique_profiles,
        count(*) filter (where is_cache_hit) as cache_hits,
        count(*) filter (where is_diff_packages) as diff_packages_true,
        count(*) filter (where not is_diff_packages) as diff_packages_false
    from requests
    group by {{ keys | join(', ') }}

),

build_totals as (

    select
        event_date as period_start,
        {%- for dimension in dimensions %}
        {{ dimension }},
        {%- endfor %}
        count(*) as build_count,
        count(*) filter (where is_success) as successful_builds,
        count(*) filter (where is_failure) as failed_builds,
        avg(duration_seconds)::double precision as avg_build_duration_seconds
    from builds
    group by {{ keys | join(', ') }}

),

keys as (

    select
        {%- for key in keys %}
        {{ key }}{{ ',' if not loop.last }}
        {%- endfor %}
    from request_totals
    union
    select
        {%- for key in keys %}
        {{ key }}{{ ',' if not loop.last }}
        {%- endfor %}
    from build_totals

),

combined as (

    select
        {%- for key in keys %}
        keys.{{ key }},
        {%- endfor %}
        coalesce(request_totals.request_count, 0) as request_count,
        coalesce(request_totals.unique_requests, 0) as unique_requests,
        {% if 'profile' not in dimensions -%}
            coalesce(request_totals.unique_profiles, 0) as unique_profiles,
        {% endif -%}
        coalesce(request_totals.cache_hits, 0) as cache_hits,
        coalesce(request_totals.diff_packages_true, 0) as diff_packages_true,
        coalesce(request_totals.diff_packages_false, 0) as diff_packages_false,
        coalesce(build_totals.build_count, 0) as build_count,
        coalesce(build_totals.successful_builds, 0) as successful_builds,
        coalesce(build_totals.failed_builds, 0) as failed_builds,
        build_totals.avg_build_duration_seconds
    from keys
    left join request_totals
        on {{ build_keys_match('keys', 'request_totals', keys) }}
    left join build_totals
        on {{ build_keys_match('keys', 'build_totals', keys) }}

),

final as (

    select
        combined.*,
        combined.cache_hits::double precision
        / nullif(combined.request_count, 0) as cache_hit_rate,
        combined.successful_builds::double precision
        / nullif(combined.successful_builds + combined.failed_builds, 0) as success_rate,
        {{ period_is_complete('combined.period_start', 'combined.period_start') }} as is_complete
    from combined
    left join coverage on true

)

select * from final

{% endmacro %}

{#- SQL: `left` and `right` agree on every column of `keys`. -#}
{% macro build_keys_match(left, right, keys) -%}
    {%- for key in keys %}
        {{- ' and ' if not loop.first }}{{ left }}.{{ key }} = {{ right }}.{{ key }}
    {%- endfor %}
{%- endmacro %}
