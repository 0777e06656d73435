"""The stages run together, as `story check` and the editor see a file: `diagnose(program)`.

The validator runs first; when it finds no errors, the compile stage measures the prompts (which
needs them rendered), so one call reports everything from syntax to prompt length.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Union

from ..base.diagnostics import Diagnostic, has_errors
from ..check.rules import check
from ..language.load import Program
from ..models.profile import Catalog, catalog
from ..models.regions import region_for

if TYPE_CHECKING:
    from .plan import Plan


def checked_plan(program: Program, profiles: Catalog,
                 region_option: Union[str, None] = None) -> tuple[list[Diagnostic], Union[Plan, None]]:
    """The validator's diagnostics, and the plan when they hold no error (else None).

    The region is resolved here, once (the `region` setting, else `region_option` (`--region`),
    else $DASHSCOPE_REGION, else singapore), and both the validator and the plan use it.
    """
    region = region_of(program, region_option)
    found = check(program, profiles, region)
    if has_errors(found):
        return found, None
    from .plan import plan

    return found, plan(program, profiles, region)


def region_of(program: Program, region_option: Union[str, None] = None) -> str:
    """The one region a program's requests go to; an unknown name raises `regions.RegionError`."""
    storyboard = program.entry.storyboard
    setting = None
    if storyboard is not None:
        from ..language.settings import resolve

        setting = resolve(storyboard, program.entry.source)[0].get("region")
    return region_for(setting, region_option)


def diagnose(program: Program, profiles: Union[Catalog, None] = None,
             region_option: Union[str, None] = None) -> list[Diagnostic]:
    """Everything `story check` reports; `story plan` refuses on the same errors."""
    return diagnosed_plan(program, profiles, region_option)[0]


def diagnosed_plan(program: Program, profiles: Union[Catalog, None] = None,
                   region_option: Union[str, None] = None) -> tuple[list[Diagnostic], Union[Plan, None]]:
    """`diagnose`, and the plan when none of it is an error (else None)."""
    # The rules allocate a little for every line, which would start full collections that walk the
    # whole tree again (half the time of a 50,000-shot file); what they build is acyclic, so the
    # collector waits, and what survives goes straight to the oldest generation, as after a parse.
    enabled = gc.isenabled()
    gc.disable()
    try:
        found, planned = checked_plan(program, profiles or catalog(), region_option)
        if planned is not None:
            from .bound import risky_clips

            risky = risky_clips(planned)
            if risky:  # only then the prompts are rendered (and `emit` imported)
                from .emit import prompt_diagnostics

                found.extend(prompt_diagnostics(planned, risky))
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
    return found, None if has_errors(found) else planned
