"""The end of a process that loaded the code location.

Such a process (a run's, the CLI's, a code server) holds about 360,000 objects of Dagster,
dagster-dbt and dbt. When it exits, Python 3.11 runs full garbage collections over all of them
while it tears the modules down: 0.75 s after a partition run has ended, which the CLI and
every run's process wait for (BENCHMARKS.md, the Dagster section). Freezing the heap at exit
puts those objects out of the collector's reach. They are still released by reference
counting, files and connections are closed as before, and every exit handler still runs;
only objects kept alive by reference cycles are left to the operating system, as Python never
promised their finalizers at exit anyway.
"""

from __future__ import annotations

import atexit
import functools
import gc


@functools.cache
def skip_final_collections() -> None:
    """Freezes the heap when the process exits (once, however often the location loads)."""
    atexit.register(gc.freeze)
