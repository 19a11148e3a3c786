{#-
    Every registry request a user made of a module, one row per event: downloads, page views
    and compilations. The one place the three are unioned; rollups filter it by event_date,
    which PostgreSQL pushes into each branch (an index range on each staging table).
-#}

with downloads as (

    select * from {{ ref('stg_registry__download_events') }}

),

views as (

    select * from {{ ref('stg_registry__module_view_events') }}

),

compilations as (

    select * from {{ ref('stg_registry__compilation_events') }}

),

activity as (

    select
        event_date,
        module_name,
        user_id,
        organization_id,
        'download' as activity_type,
        is_success
    from downloads
    union all
    select
        event_date,
        module_name,
        user_id,
        organization_id,
        'view' as activity_type,
        true as is_success
    from views
    union all
    select
        event_date,
        module_name,
        user_id,
        organization_id,
        'compilation' as activity_type,
        is_success
    from compilations

)

select * from activity
