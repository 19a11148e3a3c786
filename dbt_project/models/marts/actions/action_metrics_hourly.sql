{{ action_rollup(['action_type', 'status'], hourly=true) }}
