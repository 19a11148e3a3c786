{{ config(indexes=[
    {'columns': ['event_date']},
    {'columns': ['metric_name', 'event_date']},
]) }}

{#- Rows are written in time order, as in stg_product__events: a full build read raw's monthly
    partitions in parallel and interleaved them, so one day's points lay across the whole table
    and a one-day run read pages across all history. -#}

with source as (

    {{ windowed_events(source('product', 'metrics'), 'recorded_at') }}

),

renamed as (

    select
        event_id,
        recorded_at,
        (recorded_at at time zone 'UTC')::date as event_date,
        date_trunc('hour', recorded_at at time zone 'UTC') as hour_start,
        name as metric_name,
        metric_type::text as metric_type,
        value,
        unit,
        -- The tag set as a stable key: jsonb's canonical text (keys sorted, one spacing), so
        -- {"b": "1", "a": "2"} and {"a":"2","b":"1"} are one tag set; no tags is '{}'.
        case
            when tags is null or jsonb_typeof(tags) = 'null' then '{}'
            else tags::text
        end as tags,
        _loaded_at as loaded_at
    from source

)

select * from renamed
order by recorded_at
