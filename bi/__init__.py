"""`make bi`: Apache Superset with a dashboard per source system, provisioned from files."""
