{{ config(indexes=[{'columns': ['version', 'target', 'period_start']}]) }}

{{ build_stats_by(['version', 'target']) }}
