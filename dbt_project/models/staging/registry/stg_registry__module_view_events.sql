{{ config(indexes=[{'columns': ['event_date']}, {'columns': ['module_name', 'event_date']}]) }}

with source as (

    {{ windowed_events(source('registry', 'module_view_events'), 'viewed_at') }}

),

renamed as (

    select
        event_id,
        viewed_at,
        {{ utc_date('viewed_at') }} as event_date,
        user_id,
        organization_id,
        module_name,
        version,
        source::{{ type_text() }} as view_source,
        page_type::{{ type_text() }} as page_type,
        referrer,
        {{ salted_hash('ip_address') }} as client_ip_hash,
        {{ client_family('user_agent') }} as client_family,
        {{ client_name('user_agent') }} as client_name,
        _loaded_at as loaded_at
    from source

)

select * from renamed
