{{ config(unique_key='as_of_date', partition_by='as_of_date') }}

{%- set as_of_dates = get_snapshot_dates(30, 'registry') %}

with daily as (

    {{ rows_as_of(ref('module_stats_daily'), 30, as_of_dates) }}

),

totals as (

    select
        as_of_date,
        module_name,
        sum(download_count)::bigint as download_count,
        sum(view_count)::bigint as view_count,
        sum(total_download_bytes)::bigint as total_download_bytes
    from daily
    group by as_of_date, module_name
    having sum(download_count) > 0

),

ranked as (

    select
        *,
        row_number() over (
            partition by as_of_date order by download_count desc, module_name asc
        ) as download_rank
    from totals

),

final as (

    select
        as_of_date,
        (as_of_date - 29) as period_start,
        download_rank::integer as download_rank,
        module_name,
        download_count,
        view_count,
        total_download_bytes
    from ranked
    where download_rank <= 100

)

select * from final
