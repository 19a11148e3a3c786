{#-
    Every build with what its request hash asked for: version, target, profile and package
    count are the same in every request with that hash (the hash is made of them), so the
    first staged request with the hash gives them, looked up by the (request_hash,
    requested_at) index: one probe per build, whatever the history. A build whose hash was
    never requested (or not yet loaded) has them as 'unknown' (package count null).
-#}

with builds as (

    select * from {{ ref('stg_builds__builds') }}

),

requests as (

    select * from {{ ref('stg_builds__requests') }}

),

described as (

    select
        builds.*,
        coalesce(requested.version, 'unknown') as version,
        coalesce(requested.target, 'unknown') as target,
        coalesce(requested.profile, 'unknown') as profile,
        requested.package_count
    from builds
    left join lateral (
        select
            requests.version,
            requests.target,
            requests.profile,
            requests.package_count
        from requests
        where requests.request_hash = builds.request_hash
        order by requests.requested_at, requests.event_id
        limit 1
    ) as requested on true

)

select * from described
