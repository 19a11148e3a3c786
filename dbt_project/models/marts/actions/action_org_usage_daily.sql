{{ action_rollup(['organization_id', 'action_type'], hourly=false) }}
