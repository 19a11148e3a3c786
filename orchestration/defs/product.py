"""App event tracking and metrics (seeds 002 and 003).

Raw tables only so far: no marts yet, so nothing is declared beyond the source itself.
"""

from orchestration.lib.source import SourceDeclaration

SOURCE = SourceDeclaration(
    name="product", description="App event tracking and metrics (seeds 002 and 003)."
)
