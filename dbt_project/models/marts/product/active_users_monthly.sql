{{ config(unique_key='period_start') }}

{{ active_users_rollup('month') }}
