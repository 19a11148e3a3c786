"""The end of a process that loaded the code location.

Such a process (a run's, the CLI's, a code server) holds about 360,000 objects of Dagster,
dagster-dbt and dbt. When it exits, Python 3.11 runs full garbage collections over all of them
while it tears the modules down: about 0.8 s after a partition run has ended, which the CLI
and every run's process wait for (BENCHMARKS.md, the Dagster section). Freezing the heap at exit
puts those objects out of the collector's reach. Every exit handler still runs, and what
reference counting releases is released (the event log's files and the warehouse's
connections are closed by their owners before); only objects kept alive by reference cycles
are left to the operating system, whose finalizers Python never promised at exit anyway. The
heap is frozen at exit only: frozen when the location loads, a code server would never
collect the cycles of what it loaded.
"""

from __future__ import annotations

import atexit
import functools
import gc


@functools.cache
def skip_final_collections() -> None:
    """Freezes the heap when the process exits (once, however often the location loads)."""
    atexit.register(gc.freeze)
