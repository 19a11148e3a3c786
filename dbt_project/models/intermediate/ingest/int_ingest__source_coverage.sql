{#- One row per source system: the days its loaded data covers (macro source_coverage_sql). -#}

with source_coverage as (

    {{ source_coverage_sql(ref('stg_ingest__loads'), ref('stg_ingest__load_event_dates')) }}

)

select * from source_coverage
