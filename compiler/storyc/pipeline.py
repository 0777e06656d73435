"""The stages run together, as `story check` and the editor see a file: `diagnose(program)`.

The validator runs first; when it finds no errors, the render stage measures the prompts (which
needs them rendered), so one call reports everything from syntax to prompt length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from .check import check
from .diagnostics import Diagnostic, has_errors
from .load import Program
from .profile import Catalog, catalog

if TYPE_CHECKING:
    from .plan import Plan


def checked_plan(program: Program, profiles: Catalog) -> tuple[list[Diagnostic], Union[Plan, None]]:
    """The validator's diagnostics, and the plan when they hold no error (else None)."""
    found = check(program, profiles)
    if has_errors(found):
        return found, None
    from .plan import plan

    return found, plan(program, profiles)


def diagnose(program: Program, profiles: Union[Catalog, None] = None) -> list[Diagnostic]:
    found, planned = checked_plan(program, profiles or catalog())
    if planned is not None:
        from .render import prompt_diagnostics

        found.extend(prompt_diagnostics(planned))
    return found
