"""The stages run together, as `story check` and the editor see a file: `diagnose(program)`.

The validator runs first; when it finds no errors, the render stage measures the prompts (which
needs them rendered), so one call reports everything from syntax to prompt length.
"""

from __future__ import annotations

from typing import Union

from .check import check
from .diagnostics import Diagnostic, has_errors
from .load import Program
from .profile import Catalog, catalog


def diagnose(program: Program, profiles: Union[Catalog, None] = None) -> list[Diagnostic]:
    profiles = profiles or catalog()
    found = check(program, profiles)
    if has_errors(found):
        return found
    from .plan import plan
    from .render import prompt_diagnostics

    planned = plan(program, profiles)
    if planned is not None:
        found.extend(prompt_diagnostics(planned))
    return found
