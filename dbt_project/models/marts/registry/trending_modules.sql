{{ config(unique_key='as_of_date', partition_by='as_of_date', indexes=[{'columns': ['as_of_date', 'trend_rank']}]) }}

{#-
    Growth of the last 7 complete days against the 7 before, ranked two ways:
    - trend_rank, by the damped score
        trend_score = (current - previous) / greatest(previous, trending_min_downloads),
      so 1 -> 3 downloads never tops the list; a previous week of zero is no special case
      (is_new marks it, growth_rate is null: undefined);
    - growth_rank, the seed's ranking: by growth_rate = (current - previous) / previous, among
      modules with a previous week to grow from.
    Both need trending_min_downloads downloads in the current week and growth. A row is kept
    when it is in either top 50. Ties rank by current downloads, then module name.
-#}

{%- set as_of_dates = get_snapshot_dates(14, 'registry') %}

with daily as (

    {{ rows_as_of(ref('module_stats_daily'), 14, as_of_dates) }}

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
                then (current_downloads - previous_downloads)::{{ type_double() }} / previous_downloads
        end as growth_rate,
        (current_downloads - previous_downloads)::{{ type_double() }}
        / greatest(previous_downloads, {{ var('trending_min_downloads') }}) as trend_score,
        previous_downloads = 0 as is_new
    from weeks
    where
        current_downloads >= {{ var('trending_min_downloads') }}
        and current_downloads > previous_downloads

),

ranked as (

    select
        *,
        row_number() over (
            partition by as_of_date
            order by trend_score desc, current_downloads desc, module_name asc
        ) as trend_rank,
        case
            when growth_rate is not null
                then row_number() over (
                    partition by as_of_date, growth_rate is not null
                    order by growth_rate desc, current_downloads desc, module_name asc
                )
        end as growth_rank
    from scored

),

final as (

    select
        as_of_date,
        case when trend_rank <= 50 then trend_rank::integer end as trend_rank,
        case when growth_rank <= 50 then growth_rank::integer end as growth_rank,
        module_name,
        current_downloads,
        previous_downloads,
        growth_rate,
        trend_score,
        is_new
    from ranked
    where trend_rank <= 50 or growth_rank <= 50

)

select * from final
