{#- work_mem for this statement only (set local ends with dbt's transaction): with the
    default 4 MB the planner sorts the session x breakdown rows on disk instead of hashing
    them (below, user_counts). -#}
{{ config(unique_key='period_start', pre_hook="set local work_mem = '128MB'") }}

{#- Funnels are walked per session, over all its events, and counted on the day the session
    started: get_grouped_window rebuilds the days of every session a change touches, as for
    product_sessions. -#}
{%- set window = get_grouped_window(ref('stg_product__events'), 'session_id') %}

with definitions as (

    select * from {{ ref('product_funnel_steps') }}

),

events as (

    {{ grouped_events(ref('stg_product__events'), 'session_id', window) }}

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

{# Each funnel's current definition: its highest version. #}
steps as (

    select definitions.*
    from definitions
    where definitions.funnel_version = (
        select max(versions.funnel_version) from definitions as versions
        where versions.funnel_id = definitions.funnel_id
    )

),

{# External sessions that started in the window, with the attributes the breakdowns use:
    the first code_input's origin and language, the first doc_generation's doc type, the
    first doc_export's action. #}
sessions as (

    select
        session_id,
        (min(occurred_at) at time zone 'UTC')::date as period_start,
        {{ first_value_of('user_id', last=true) }} as user_id,
        {{ first_value_of('doc_type', where="event_name = 'doc_generation'") }} as doc_type,
        {{ first_value_of('language', where="event_name = 'code_input'") }} as language,
        {{ first_value_of('origin', where="event_name = 'code_input'") }} as origin,
        {{ first_value_of('action', where="event_name = 'doc_export'") }} as export_action
    from events
    group by session_id
    having
        not bool_or(is_internal)
        and {{ in_window("(min(occurred_at) at time zone 'UTC')::date", window) }}

),

{# Step 1 at the session's first event of it; step n at the first event of step n at or
    after step n - 1 was reached and within the funnel's window of step 1. #}
reached as (

    with recursive walk as (
        select
            steps.funnel_id,
            events.session_id,
            1 as step_number,
            min(events.occurred_at) as reached_at,
            min(events.occurred_at) as funnel_started_at
        from steps
        inner join events on {{ funnel_step_matches('events', 'steps.step_event') }}
        inner join sessions on events.session_id = sessions.session_id
        where steps.step_number = 1
        group by steps.funnel_id, events.session_id
        union all
        select
            walk.funnel_id,
            walk.session_id,
            walk.step_number + 1 as step_number,
            next_step.reached_at,
            walk.funnel_started_at
        from walk
        inner join steps
            on walk.funnel_id = steps.funnel_id and steps.step_number = walk.step_number + 1
        cross join
            lateral (
                {#- One index range of the session's events (session_id, occurred_at). #}
                select min(staged.occurred_at) as reached_at
                from {{ ref('stg_product__events') }} as staged
                where
                    staged.session_id = walk.session_id
                    and staged.occurred_at >= walk.reached_at
                    and staged.occurred_at
                    <= walk.funnel_started_at + steps.window_minutes * interval '1 minute'
                    and {{ funnel_step_matches('staged', 'steps.step_event') }}
            ) as next_step
        where next_step.reached_at is not null
    )

    select * from walk

),

attributed as (

    select
        reached.funnel_id,
        reached.step_number,
        sessions.period_start,
        sessions.session_id,
        sessions.user_id,
        breakdowns.breakdown,
        breakdowns.breakdown_value
    from reached
    inner join sessions on reached.session_id = sessions.session_id
    cross join lateral (
        values
        ('all', 'all'),
        ('doc_type', coalesce(sessions.doc_type, '(none)')),
        ('language', coalesce(sessions.language, '(none)')),
        ('origin', coalesce(sessions.origin, '(none)')),
        ('export_action', coalesce(sessions.export_action, '(none)'))
    ) as breakdowns (breakdown, breakdown_value)

),

{# Distinct users in two hash aggregates, sessions per user then users per group: a
    count(distinct) sorted every session x breakdown row of the build on disk (3.3M rows at
    1M events, about half of a full build's time). A null user is no user; its sessions count. #}
user_counts as (

    select
        period_start,
        funnel_id,
        step_number,
        breakdown,
        breakdown_value,
        user_id,
        count(*) as sessions
    from attributed
    group by period_start, funnel_id, step_number, breakdown, breakdown_value, user_id

),

counts as (

    select
        period_start,
        funnel_id,
        step_number,
        breakdown,
        breakdown_value,
        sum(sessions)::bigint as sessions,
        count(user_id) as users
    from user_counts
    group by period_start, funnel_id, step_number, breakdown, breakdown_value

),

{# Every step of each (day, funnel, breakdown value) whose first step has sessions, so a
    step nobody reached is a row with 0. #}
grid as (

    select
        starts.period_start,
        starts.breakdown,
        starts.breakdown_value,
        steps.funnel_id,
        steps.funnel_version,
        steps.funnel_name,
        steps.step_number,
        steps.step_event,
        steps.window_minutes,
        coalesce(counts.sessions, 0) as sessions,
        coalesce(counts.users, 0) as users
    from counts as starts
    inner join steps on starts.funnel_id = steps.funnel_id
    left join counts
        on
            starts.period_start = counts.period_start
            and starts.funnel_id = counts.funnel_id
            and starts.breakdown = counts.breakdown
            and starts.breakdown_value = counts.breakdown_value
            and steps.step_number = counts.step_number
    where starts.step_number = 1

),

{# Each step's first and previous step in its (day, funnel, breakdown value), by window
    functions: self-joins of grid ran as nested loops over every pair of grid rows when the
    planner expected few (182M pairs in a full build at 1M events). Every group has its step 1
    (grid starts from it); a step without the step before it (a gap) has no previous step. #}
stepped as (

    select
        grid.*,
        max(grid.sessions) filter (where grid.step_number = 1) over funnel_day as first_sessions,
        case
            when lag(grid.step_number) over funnel_steps = grid.step_number - 1
                then lag(grid.sessions) over funnel_steps
        end as previous_sessions
    from grid
    window
        funnel_day as (
            partition by grid.period_start, grid.funnel_id, grid.breakdown, grid.breakdown_value
        ),
        funnel_steps as (funnel_day order by grid.step_number)

),

final as (

    select
        stepped.period_start,
        stepped.funnel_id,
        stepped.funnel_version,
        stepped.funnel_name,
        stepped.step_number,
        stepped.step_event,
        stepped.window_minutes,
        stepped.breakdown,
        stepped.breakdown_value,
        stepped.sessions,
        stepped.users,
        stepped.previous_sessions as previous_step_sessions,
        stepped.sessions::double precision
        / nullif(stepped.previous_sessions, 0) as step_conversion_rate,
        stepped.sessions::double precision
        / nullif(stepped.first_sessions, 0) as overall_conversion_rate,
        coalesce(stepped.previous_sessions - stepped.sessions, 0) as drop_off,
        {{ period_is_complete('stepped.period_start', 'stepped.period_start') }} as is_complete
    from stepped
    left join coverage on true

)

select * from final
