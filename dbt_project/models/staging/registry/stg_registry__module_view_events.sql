{{ config(indexes=[{'columns': ['event_date']}, {'columns': ['module_name', 'event_date']}]) }}

{%- set window = event_window() %}

with source as (

    select * from {{ source('registry', 'module_view_events') }}
    where {{ in_window('viewed_at', window, 'timestamp') }}

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by _loaded_at, viewed_at) as occurrence
    from source

),

renamed as (

    select
        event_id,
        viewed_at,
        (viewed_at at time zone 'UTC')::date as event_date,
        user_id,
        organization_id,
        module_name,
        version,
        source::text as view_source,
        page_type::text as page_type,
        referrer,
        {{ salted_hash('ip_address') }} as client_ip_hash,
        {{ client_family('user_agent') }} as client_family,
        {{ client_name('user_agent') }} as client_name,
        _loaded_at as loaded_at
    from deduplicated
    where occurrence = 1

)

select * from renamed
