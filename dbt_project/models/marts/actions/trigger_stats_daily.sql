{{ action_rollup(['trigger_id'], hourly=false) }}
