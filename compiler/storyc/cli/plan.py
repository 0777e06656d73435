"""`story plan`: the clips a storyboard makes, with durations and prices, and a budget gate."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_OK, EXIT_PROBLEMS, Command, catalog, profiles_option, storyboard_files


def define(plan: argparse.ArgumentParser) -> None:
    plan.add_argument("paths", nargs="+", metavar="PATH", help="storyboard files")
    plan.add_argument("--budget", type=float, metavar="AMOUNT",
                      help="exit 1 when the total for --region is over AMOUNT (in the profile's currency)")
    plan.add_argument("--region", metavar="REGION",
                      help="the region --budget applies to (default: the storyboard's `region`, else the "
                      "model's first region)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON for tools")
    profiles_option(plan)
    plan.set_defaults(run=run)


COMMANDS = {"plan": Command(
    "list the clips a storyboard makes, with durations and prices",
    "Show each request: model, duration, resolution, shots, prompt length against its limit and the "
    "estimated price per region, with totals.",
    define,
)}


def run(options: argparse.Namespace) -> int:
    from ..diagnostics import has_errors, render
    from ..load import load
    from ..pipeline import checked_plan
    from ..plan_table import plan_json, plan_rows, plan_text

    profiles = catalog(options)
    tables = []
    for path in storyboard_files(options.paths):
        program = load(path)
        found, planned = checked_plan(program, profiles)
        if planned is None or has_errors(planned.diagnostics):
            sys.stderr.write(render([*found, *(planned.diagnostics if planned else ())], program.sources, "full"))
            return EXIT_PROBLEMS
        tables.append((path, plan_rows(planned, options.region)))
    if options.json:
        sys.stdout.write(plan_json(tables))
    else:
        sys.stdout.write(plan_text(tables))
    if options.budget is not None:
        total = sum(table.total for _, table in tables)
        if total > options.budget:
            print(f"over budget: {total:.2f} > {options.budget:.2f}", file=sys.stderr)
            return EXIT_PROBLEMS
    return EXIT_OK
