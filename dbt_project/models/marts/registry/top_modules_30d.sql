{{ config(unique_key='as_of_date', indexes=[{'columns': ['as_of_date', 'download_rank']}]) }}

with as_of as (

    select {{ as_of_date('registry') }} as as_of_date

),

daily as (

    select module_stats_daily.*
    from {{ ref('module_stats_daily') }} as module_stats_daily
    cross join as_of
    where module_stats_daily.period_start between as_of.as_of_date - 29 and as_of.as_of_date

),

totals as (

    select
        module_name,
        sum(download_count)::bigint as download_count,
        sum(view_count)::bigint as view_count,
        sum(total_download_bytes)::bigint as total_download_bytes
    from daily
    group by module_name
    having sum(download_count) > 0

),

ranked as (

    select
        *,
        row_number() over (order by download_count desc, module_name asc) as download_rank
    from totals

),

final as (

    select
        as_of.as_of_date,
        (as_of.as_of_date - 29) as period_start,
        ranked.download_rank::integer as download_rank,
        ranked.module_name,
        ranked.download_count,
        ranked.view_count,
        ranked.total_download_bytes
    from ranked
    cross join as_of
    where ranked.download_rank <= 100

)

select * from final
