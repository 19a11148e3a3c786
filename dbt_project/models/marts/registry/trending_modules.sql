{{ config(unique_key='as_of_date', indexes=[{'columns': ['as_of_date', 'trend_rank']}]) }}

{#-
    Growth of the last 7 complete days against the 7 before, ranked by trend_score:
        trend_score = (current - previous) / greatest(previous, trending_min_downloads)
    A module needs trending_min_downloads downloads in the current week to rank at all, and the
    same number divides when the previous week was smaller, so 1 -> 3 downloads never tops the
    list. A previous week of zero is no special case: is_new marks it and growth_rate (the plain
    ratio) is null, undefined. Ties rank by current downloads, then module name.
-#}

with as_of as (

    select {{ as_of_date('registry') }} as as_of_date

),

daily as (

    select
        module_stats_daily.*,
        as_of.as_of_date
    from {{ ref('module_stats_daily') }} as module_stats_daily
    cross join as_of
    where module_stats_daily.period_start between as_of.as_of_date - 13 and as_of.as_of_date

),

weeks as (

    select
        module_name,
        coalesce(sum(download_count) filter (where period_start > as_of_date - 7), 0)::bigint
            as current_downloads,
        coalesce(sum(download_count) filter (where period_start <= as_of_date - 7), 0)::bigint
            as previous_downloads
    from daily
    group by module_name

),

scored as (

    select
        module_name,
        current_downloads,
        previous_downloads,
        case
            when previous_downloads > 0
                then (current_downloads - previous_downloads)::double precision / previous_downloads
        end as growth_rate,
        (current_downloads - previous_downloads)::double precision
        / greatest(previous_downloads, {{ var('trending_min_downloads') }}) as trend_score,
        previous_downloads = 0 as is_new
    from weeks
    where current_downloads >= {{ var('trending_min_downloads') }}

),

ranked as (

    select
        *,
        row_number() over (
            order by trend_score desc, current_downloads desc, module_name asc
        ) as trend_rank
    from scored
    where trend_score > 0

),

final as (

    select
        as_of.as_of_date,
        ranked.trend_rank::integer as trend_rank,
        ranked.module_name,
        ranked.current_downloads,
        ranked.previous_downloads,
        ranked.growth_rate,
        ranked.trend_score,
        ranked.is_new
    from ranked
    cross join as_of
    where ranked.trend_rank <= 50

)

select * from final
