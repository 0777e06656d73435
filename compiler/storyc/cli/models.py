"""`story models`: the model profiles and their limits."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_OK, Command, UsageError, catalog, profiles_option


def define(models: argparse.ArgumentParser) -> None:
    models.add_argument("--json", action="store_true", help="print the full profiles as JSON for tools")
    models.add_argument("--markdown", action="store_true", help="as Markdown (docs/models.md)")
    models.add_argument("--wide", action="store_true",
                        help="every column (protocol, multi-shot, rate limits), unwrapped; the default fits the "
                        "terminal's width ($COLUMNS, else 100)")
    models.add_argument("--region", metavar="REGION",
                        help="the region whose prices the table shows (default: $DASHSCOPE_REGION, else singapore)")
    profiles_option(models)
    models.set_defaults(run=run)


COMMANDS = {"models": Command(
    "list the models storyc knows and their limits",
    "List the model profiles: durations, resolutions, prompt limits, audio, multi-shot, rate limits, "
    "the regions that offer each model and its price per generated second in the resolved region.",
    define,
)}


def run(options: argparse.Namespace) -> int:
    from ..models.regions import RegionError, region_for
    from ..models.table import as_json, as_markdown, as_table

    try:
        region = region_for(None, options.region)
    except RegionError as error:
        raise UsageError(str(error)) from None
    profiles = catalog(options)
    if options.json:
        sys.stdout.write(as_json(profiles))
    elif options.markdown:
        sys.stdout.write(as_markdown(profiles))
    else:
        import shutil

        columns = shutil.get_terminal_size((100, 24)).columns
        sys.stdout.write(as_table(profiles, region, columns, wide=options.wide))
    return EXIT_OK
