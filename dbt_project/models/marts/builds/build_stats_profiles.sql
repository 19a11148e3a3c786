{{ config(indexes=[{'columns': ['version', 'target', 'profile', 'period_start']}]) }}

{{ build_stats_by(['version', 'target', 'profile']) }}
