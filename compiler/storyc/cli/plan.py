"""`story plan`: the clips a storyboard makes, with durations and prices, and a budget gate."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from .common import EXIT_OK, EXIT_PROBLEMS, Command, UsageError, catalog, profiles_option, storyboard_files


def _amount(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not an amount, such as 10 or 7.50") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"`{text}` is not an amount, such as 10 or 7.50")
    return value


def takes_count(text: str) -> int:
    from .submitting import takes_count as count

    return count(text)


def define(plan: argparse.ArgumentParser) -> None:
    plan.add_argument("paths", nargs="+", metavar="PATH", help="storyboard files")
    plan.add_argument("--budget", type=_amount, metavar="AMOUNT",
                      help="exit 1 when the total over all files is over AMOUNT, in the prices' currency, "
                      "or when any price is unknown; with --against, the cost of regenerating what changed")
    plan.add_argument("--region", metavar="REGION",
                      help="the region for storyboards without a `region` setting (default: $DASHSCOPE_REGION, "
                      "else singapore): prices, model ids and availability follow it")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON for tools")
    plan.add_argument("--takes", type=takes_count, metavar="N",
                      help="price N takes of every clip, as `story render --takes N` renders them (1-10; "
                      "overrides the `takes` setting)")
    plan.add_argument("--against", metavar="GIT_REF", help="list the clips whose requests changed since that git "
                      "revision, and what regenerating them costs")
    profiles_option(plan)
    plan.set_defaults(run=run)


COMMANDS = {"plan": Command(
    "list the clips a storyboard makes, with durations and prices",
    "Check each storyboard as `story check` does (any error: exit 1), then show each request: model, "
    "duration, picture, shots, prompt length against its limit and its price in the storyboard's "
    "region, with a total per storyboard and over all of them. Prices are read from the request bodies "
    "as they will be sent, after any project template in templates/.",
    define,
)}


def run(options: argparse.Namespace) -> int:
    from ..base.diagnostics import has_errors, report
    from ..compile.diagnose import diagnosed_plan
    from ..compile.estimate import budget_problem, plan_json, plan_rows, plan_text
    from ..language.load import load
    from ..models.regions import RegionError, region_for

    try:
        region_for(None, options.region)  # an unknown --region or $DASHSCOPE_REGION stops here
    except RegionError as error:
        raise UsageError(str(error)) from None
    profiles = catalog(options)
    tables = []
    changes: list[tuple[str, list[dict[str, Any]]]] = []
    failed = False
    for path in storyboard_files(options.paths):
        if path == "-":
            raise UsageError("plan reads files, not standard input")
        program = load(path)
        found, planned = diagnosed_plan(program, profiles, options.region)
        if planned is None or has_errors(found):
            sys.stderr.write(report(found, program.sources, "full"))
            failed = True
            continue
        if not planned.clips:  # a file of declarations, for others to include: no table
            print(f"{path}: no clips, nothing to plan", file=sys.stderr)
            continue
        from ..submit.against import AgainstError, changed_since, plan_status

        if options.against:  # the clips whose requests changed since a revision
            try:
                changes.append((path, changed_since(path, planned, options.against, profiles, options.region)))
            except AgainstError as error:
                raise UsageError(f"--against {options.against}: {error}") from None
        from ..submit.lock import LockError

        try:
            status = plan_status(path, planned, options.takes)  # cached / in flight / to submit
        except LockError as error:
            raise UsageError(str(error)) from None
        tables.append((path, plan_rows(planned, status, options.takes)))
    if failed:
        return EXIT_PROBLEMS
    if options.against:
        import json  # here: `story --help` imports this module for its one-line help

        from ..submit.against import against_json, against_text, regeneration_problem

        text = json.dumps(against_json(changes, options.against), ensure_ascii=False, indent=2) + "\n"
        sys.stdout.write(text if options.json else against_text(changes, options.against))
        problem = None if options.budget is None else regeneration_problem(changes, options.budget)
        if problem:  # with --against, the budget is for regenerating what changed
            print(problem, file=sys.stderr)
            return EXIT_PROBLEMS
        return EXIT_OK
    if options.json:
        sys.stdout.write(plan_json(tables, options.budget))
    else:
        sys.stdout.write(plan_text(tables))
    if options.budget is not None:
        problem = budget_problem(tables, options.budget)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_PROBLEMS
    return EXIT_OK
