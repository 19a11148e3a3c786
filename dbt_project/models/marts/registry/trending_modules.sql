{{ config(unique_key='as_of_date', indexes=[{'columns': ['as_of_date', 'trend_rank']}]) }}

{#-
    Growth of the last 7 complete days against the 7 before, ranked by trend_score:
        trend_score = (current - previous) / greatest(previous, trending_min_downloads)
    A module needs trending_min_downloads downloads in the current week to rank at all, and the
    same number divides when the previous week was smaller, so 1 -> 3 downloads never tops the
    list. A previous week of zero is no special case: is_new marks it and growth_rate (the plain
    ratio) is null, undefined. Ties rank by current downloads, then module name.
-#}

with daily as (

    {{ rows_as_of(ref('module_stats_daily'), 14, 'registry') }}

),

weeks as (

    select
        as_of_date,
        module_name,
        coalesce(sum(download_count) filter (where period_start > as_of_date - 7), 0)::bigint
            as current_downloads,
        coalesce(sum(download_count) filter (where period_start <= as_of_date - 7), 0)::bigint
            as previous_downloads
    from daily
    group by as_of_date, module_name

),

scored as (

    select
        as_of_date,
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
        as_of_date,
        trend_rank::integer as trend_rank,
        module_name,
        current_downloads,
        previous_downloads,
        growth_rate,
        trend_score,
        is_new
    from ranked
    where trend_rank <= 50

)

select * from final
