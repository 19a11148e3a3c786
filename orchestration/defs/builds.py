"""The firmware build service (seed 004).

Raw tables only so far: no marts yet, so nothing is declared beyond the source itself.
"""

from orchestration.lib.source import SourceDeclaration

SOURCE = SourceDeclaration(name="builds", description="The firmware build service (seed 004).")
