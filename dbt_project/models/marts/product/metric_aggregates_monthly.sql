{{ config(unique_key='period_start') }}

{{ metric_aggregates('month') }}
