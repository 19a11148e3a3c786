{{ action_rollup(['action_type'], hourly=false) }}
