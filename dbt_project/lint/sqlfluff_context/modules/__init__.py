"""dbt's `modules` namespace, as far as the macros use it."""

import datetime

__all__ = ["datetime"]
