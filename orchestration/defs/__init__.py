"""One module per source system, named after it: what is particular to that source (owner,
quality suites, the seed's alert thresholds, freshness). Loaded for every source registered
in ingest.sources.REGISTERED."""
