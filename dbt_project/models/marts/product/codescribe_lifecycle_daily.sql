{{ config(unique_key='period_start') }}

{%- set window = get_event_window('day', reopen_incomplete=true) %}

with events as (

    select * from {{ ref('stg_product__events') }}
    where
        {{ in_window('event_date', window) }}
        and category = 'business'
        and not is_internal

),

coverage as (

    select * from {{ ref('int_ingest__source_coverage') }}
    where source = 'product'

),

totals as (

    select
        event_date as period_start,
        {%- for column, event, action in [
            ('trials_started', 'trial', 'started'),
            ('trials_expired', 'trial', 'expired'),
            ('trials_converted', 'trial', 'converted'),
            ('upgrades', 'tier_change', 'upgrade'),
            ('downgrades', 'tier_change', 'downgrade'),
            ('cancellations', 'tier_change', 'cancel'),
            ('usage_warnings', 'usage_alert', 'warning_shown'),
            ('usage_limit_hits', 'usage_alert', 'limit_hit'),
        ] %}
            count(*) filter (
                where event_name = '{{ event }}' and action = '{{ action }}'
            ) as {{ column }},
        {%- endfor %}
        count(*) filter (where event_name = 'checkout_completed') as checkouts,
        coalesce(
            sum(amount) filter (where event_name = 'checkout_completed'), 0
        ) as checkout_amount,
        count(*) filter (where event_name = 'login') as logins,
        count(*) filter (where event_name = 'signup') as signups
    from events
    group by event_date

),

final as (

    select
        totals.*,
        totals.trials_converted::double precision
        / nullif(totals.trials_converted + totals.trials_expired, 0) as trial_conversion_rate,
        {{ period_is_complete('totals.period_start', 'totals.period_start') }} as is_complete
    from totals
    left join coverage on true

)

select * from final
