with source as (

    select * from {{ source('ingest', '_loads') }}

),

renamed as (

    select
        load_id,
        source,
        table_name,
        is_catalog,
        file_name,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_duplicate,
        started_at,
        finished_at
    from source

)

select * from renamed
