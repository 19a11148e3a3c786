{{ config(indexes=[{'columns': ['period_start']}, {'columns': ['module_name', 'period_start']}]) }}

{{ module_stats_rollup('month') }}
