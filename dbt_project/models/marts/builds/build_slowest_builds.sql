{{ config(unique_key='as_of_date') }}

{#- The seed's slowest_builds: the ten longest builds of the last N days (N = 7, 30, 90) as
    of each snapshot day, with their request's package count; ties by start, then event id. -#}

{%- set as_of_dates = get_snapshot_dates(90, 'builds') %}

with lengths as (

    select * from {{ build_period_lengths() }}

),

staged_builds as (

    {{ rows_as_of(ref('stg_builds__builds'), 90, as_of_dates, 'event_date') }}

),

{{ build_request_shapes('staged_builds') }}

recent_builds as (

    select * from staged_builds_described

),

ranked as (

    select
        recent_builds.as_of_date,
        lengths.period_days,
        row_number() over (
            partition by recent_builds.as_of_date, lengths.period_days
            order by
                recent_builds.duration_seconds desc,
                recent_builds.started_at asc,
                recent_builds.event_id asc
        )::integer as slow_rank,
        recent_builds.event_id,
        recent_builds.request_hash,
        recent_builds.version,
        recent_builds.target,
        recent_builds.profile,
        recent_builds.started_at,
        recent_builds.duration_seconds,
        recent_builds.package_count,
        recent_builds.status
    from recent_builds
    inner join lengths on recent_builds.event_date > recent_builds.as_of_date - lengths.period_days
    where recent_builds.duration_seconds is not null

),

final as (

    select * from ranked
    where slow_rank <= 10

)

select * from final
