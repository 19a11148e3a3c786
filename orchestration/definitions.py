"""The Dagster code location: every asset, check, schedule and sensor is assembled here."""

from dagster import Definitions

defs = Definitions()
