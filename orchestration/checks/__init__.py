"""Data-quality checks on the marts: Great Expectations suites, the seed's alert thresholds,
and freshness. dbt tests become asset checks by themselves (see orchestration.translator)."""
