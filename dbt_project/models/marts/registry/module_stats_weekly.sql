{{ config(indexes=[{'columns': ['module_name', 'period_start']}]) }}

{{ module_stats_rollup('week') }}
