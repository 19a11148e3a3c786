with source as (

    select * from {{ source('ingest', '_load_event_dates') }}

),

renamed as (

    select
        load_id,
        table_name,
        event_date,
        rows as event_count
    from source

)

select * from renamed
