"""The trigger/action result logger (seed 001).

Raw tables only so far: no marts yet, so nothing is declared beyond the source itself.
"""

from orchestration.lib.source import SourceDeclaration

SOURCE = SourceDeclaration(
    name="actions", description="The trigger/action result logger (seed 001)."
)
