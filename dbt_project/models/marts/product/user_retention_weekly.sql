{{ config(materialized='view') }}

{#- A view: a cohort's size and every week's share move whenever a user's first week does
    (late events of any age), so it is computed when read, from user_activity_daily (one row
    per user and day, far fewer than events). -#}

with activity as (

    select distinct
        user_id,
        {{ truncate_to_period('period_start', 'week') }} as activity_week
    from {{ ref('user_activity_daily') }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

cohorts as (

    select
        user_id,
        min(activity_week) as cohort_week
    from activity
    group by user_id

),

cohort_sizes as (

    select
        cohort_week,
        count(*) as cohort_users
    from cohorts
    group by cohort_week

),

retained as (

    select
        cohorts.cohort_week,
        activity.activity_week,
        count(*) as active_users
    from activity
    inner join cohorts on activity.user_id = cohorts.user_id
    group by cohorts.cohort_week, activity.activity_week

),

{# Every week from each cohort's first to the latest week with activity, 0 when nobody. #}
weeks as (

    select
        cohort_sizes.cohort_week,
        cohort_sizes.cohort_users,
        weeks.activity_week::date as activity_week
    from cohort_sizes
    cross join lateral generate_series(
        cohort_sizes.cohort_week,
        (select max(activity.activity_week) from activity),
        interval '7 days'
    ) as weeks (activity_week)

),

final as (

    select
        weeks.cohort_week,
        ((weeks.activity_week - weeks.cohort_week) / 7)::integer as week_number,
        weeks.activity_week,
        weeks.cohort_users,
        coalesce(retained.active_users, 0) as active_users,
        coalesce(retained.active_users, 0)::double precision / weeks.cohort_users as retention_rate,
        {{ period_is_complete('weeks.activity_week',
                              period_end_of('weeks.activity_week', 'week')) }} as is_complete
    from weeks
    left join retained
        on
            weeks.cohort_week = retained.cohort_week
            and weeks.activity_week = retained.activity_week
    left join coverage on true

)

select * from final
