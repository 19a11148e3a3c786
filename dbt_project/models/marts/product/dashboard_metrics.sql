{{ config(materialized='view') }}

with aggregates as (

    {%- for grain, model in [('day', 'daily'), ('week', 'weekly'), ('month', 'monthly')] %}
        {{ 'union all' if not loop.first }}
        select
            '{{ grain }}' as grain,
            period_start,
            {{ period_end_of('period_start', grain) }} as period_end,
            metric_name,
            metric_type,
            point_count,
            sum_value,
            avg_value,
            max_value,
            p50_value,
            p95_value,
            is_complete
        from {{ ref('metric_aggregates_' ~ model) }}
        where tags = '(all)'
    {%- endfor %}

),

-- The headline metrics (seeds 002 and 003): which statistic of which metric each shows.
headlines (widget_id, metric_key, metric_name, metric_type, statistic) as (

    values
    ('api', 'api_requests', 'api.request.duration', 'timer', 'count'),
    ('api', 'api_latency_p95_ms', 'api.request.duration', 'timer', 'p95'),
    ('api', 'database_query_p95_ms', 'database.query.duration', 'timer', 'p95'),
    ('usage', 'active_users_avg', 'users.active', 'gauge', 'avg'),
    ('usage', 'active_users_max', 'users.active', 'gauge', 'max'),
    ('usage', 'missions_created', 'missions.created', 'counter', 'sum'),
    ('llm', 'llm_ttft_p95_ms', 'llm.ttft_ms', 'timer', 'p95'),
    ('llm', 'llm_tpot_p95_ms', 'llm.tpot_ms', 'timer', 'p95'),
    ('llm', 'llm_throughput_p50_tps', 'llm.throughput_tps', 'gauge', 'p50'),
    ('llm', 'llm_generation_p50_ms', 'llm.generation_ms', 'histogram', 'p50'),
    ('llm', 'llm_cache_hit_rate', 'llm.cache.hit', 'histogram', 'avg')

),

valued as (

    select
        aggregates.grain,
        aggregates.period_start,
        aggregates.period_end,
        headlines.widget_id,
        headlines.metric_key,
        case headlines.statistic
            when 'count' then aggregates.point_count::double precision
            when 'sum' then aggregates.sum_value
            when 'avg' then aggregates.avg_value
            when 'max' then aggregates.max_value
            when 'p50' then aggregates.p50_value
            when 'p95' then aggregates.p95_value
        end as metric_value,
        aggregates.is_complete
    from aggregates
    inner join headlines
        on
            aggregates.metric_name = headlines.metric_name
            and aggregates.metric_type = headlines.metric_type

),

final as (

    select
        current_period.grain,
        current_period.period_start,
        current_period.period_end,
        current_period.widget_id,
        current_period.metric_key,
        current_period.metric_value,
        previous_period.metric_value as previous_value,
        case
            when previous_period.metric_value <> 0
                then
                    (current_period.metric_value - previous_period.metric_value)
                    / abs(previous_period.metric_value) * 100
        end as change_percent,
        current_period.is_complete,
        coalesce(previous_period.is_complete, false) as previous_is_complete,
        current_period.period_start = max(current_period.period_start) over (
            partition by current_period.grain, current_period.metric_key
        ) as is_latest
    from valued as current_period
    left join valued as previous_period
        on
            current_period.grain = previous_period.grain
            and current_period.metric_key = previous_period.metric_key
            and previous_period.period_start = case current_period.grain
                when 'day' then current_period.period_start - 1
                when 'week' then current_period.period_start - 7
                else (current_period.period_start - interval '1 month')::date
            end

)

select * from final
