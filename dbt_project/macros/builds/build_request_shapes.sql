{#- SQL: CTEs `<builds>_described`: the rows of `builds` (a CTE of staged builds, already cut
    to what the model reads) with the version, target, profile and package count of their
    request hash. They are the same in every request with the hash (the hash is made of them),
    so the first staged request with it gives them: one index probe (request_hash,
    requested_at) per distinct hash of `builds`, whatever the history. A hash never requested
    (or not loaded yet) gives 'unknown' (package count null). Ends with a comma. -#}
{% macro build_request_shapes(builds) -%}
{{ builds }}_hashes as (

    select distinct request_hash from {{ builds }}

),

{{ builds }}_shapes as (

    select
        wanted.request_hash,
        requested.version,
        requested.target,
        requested.profile,
        requested.package_count
    from {{ builds }}_hashes as wanted
    left join lateral (
        select
            requests.version,
            requests.target,
            requests.profile,
            requests.package_count
        from {{ ref('stg_builds__requests') }} as requests
        where requests.request_hash = wanted.request_hash
        order by requests.requested_at, requests.event_id
        limit 1
    ) as requested on true

),

{{ builds }}_described as (

    select
        {{ builds }}.*,
        coalesce(shapes.version, 'unknown') as version,
        coalesce(shapes.target, 'unknown') as target,
        coalesce(shapes.profile, 'unknown') as profile,
        shapes.package_count
    from {{ builds }}
    left join {{ builds }}_shapes as shapes on {{ builds }}.request_hash = shapes.request_hash

),
{%- endmacro %}
