"""The machinery of the code location, the same for every source system: dbt assets, checks,
jobs, schedules and sensors built from the declarations in orchestration/defs/."""
