{{ config(indexes=[{'columns': ['error_category', 'error_type', 'period_start']}]) }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with staged_builds as (

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

errors as (

    select
        event_date as period_start,
        coalesce(error_category, 'unknown') as error_category,
        coalesce(error_type, 'unknown') as error_type,
        version,
        target,
        count(*) as error_count,
        count(distinct request_hash) as affected_requests,
        count(distinct client) as affected_clients
    from builds
    where status = 'failure'
    group by
        event_date,
        coalesce(error_category, 'unknown'),
        coalesce(error_type, 'unknown'),
        version,
        target

),

final as (

    select
        errors.*,
        {{ period_is_complete('errors.period_start', 'errors.period_start') }} as is_complete
    from errors
    left join coverage on true

)

select * from final
