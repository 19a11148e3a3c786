"""Assets: raw tables loaded from the landing folder, and the dbt models built on them."""
