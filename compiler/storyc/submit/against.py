"""What `story plan` learns from the journal and from git: each clip cached / in flight / to submit, and
(`--against GIT_REF`) the clips whose requests changed since a revision, with what regenerating costs.

A request is compared by its hash (model, region, body, local files by content), so an edit that
changes only a comment or the layout of the file changes nothing, while an edited shot, setting,
template or soundtrack does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from .jobs import clip_state, prepare
from .journal import JOURNAL_NAME, journal_folder

if TYPE_CHECKING:
    from ..compile.plan import Plan
    from ..models.profile import Catalog


class AgainstError(Exception):
    """A revision git cannot give, or a folder outside any git repository."""


def plan_status(path: str, planned: Plan, takes: int | None = None) -> dict[str, str] | None:
    """Take label (`chase`, `chase.take2`) -> `cached`, `in flight` or `to submit`, from the journal of real (paid) runs;
    None when the storyboard was never rendered (no journal)."""
    from ..compile.emit import compile_plan

    if not os.path.exists(os.path.join(journal_folder(path), JOURNAL_NAME)):
        return None
    compiled = compile_plan(planned)
    prepared = prepare([(path, planned, compiled, planned.region)], create_journal=False, record=False,
                       takes=takes)
    for journal in prepared.journals:
        if journal.notice:
            print(f"story plan: {journal.notice}", file=sys.stderr)
    try:
        return {target.label: clip_state(job.row()) for job in prepared.jobs for target in job.targets}
    finally:
        prepared.close()


def request_hashes(path: str, planned: Plan) -> dict[str, tuple[str, Any]]:
    """Take label (`chase`, `chase.take2`) -> (request hash, job) for a planned storyboard, without touching any journal."""
    import tempfile

    from ..compile.emit import compile_plan

    compiled = compile_plan(planned)
    with tempfile.TemporaryDirectory(prefix="storyc-hash-") as scratch:
        prepared = prepare([(path, planned, compiled, planned.region)], create_journal=False, record=False,
                           journal_root=scratch)
        try:
            return {target.label: (job.hash, job) for job in prepared.jobs for target in job.targets}
        finally:
            prepared.close()


def changed_since(path: str, planned: Plan, ref: str, profiles: Catalog,
                  region_option: str | None) -> list[dict[str, Any]]:
    """Per clip now and at `ref`: `new`, `changed`, `unchanged` (and `removed` for clips gone since)."""
    import tempfile

    from ..compile.diagnose import checked_plan
    from ..language.load import find_root, load

    now = request_hashes(path, planned)
    root = find_root(path)
    with tempfile.TemporaryDirectory(prefix="storyc-against-") as scratch:
        old_path = _checkout(root, path, ref, scratch)
        before: dict[str, str] = {}
        if old_path is not None and os.path.exists(old_path):
            _, old_plan = checked_plan(load(old_path), profiles, region_option)
            if old_plan is not None and old_plan.clips:
                before = {name: value[0] for name, value in request_hashes(old_path, old_plan).items()}
    rows = []
    for name, (hash, job) in now.items():
        change = "new" if name not in before else ("unchanged" if before[name] == hash else "changed")
        rows.append({"clip": name, "change": change, "request": hash, "price": job.price})
    _follow_sources(rows, now)
    rows += [{"clip": name, "change": "removed", "request": hash, "price": None}
             for name, hash in before.items() if name not in now]
    return rows


def _follow_sources(rows: list[dict[str, Any]], now: dict[str, tuple[str, Any]]) -> None:
    """A continuing clip whose source is new or changed starts from another frame: it is changed too,
    though its own request (pending its source's video) reads the same."""
    stale = {row["clip"] for row in rows if row["change"] != "unchanged"}
    grew = True
    while grew:
        grew = False
        for row in rows:
            link = now[row["clip"]][1].link
            if row["change"] == "unchanged" and link is not None and any(
                    target.label in stale for target in link.job.targets):
                row["change"] = "changed"
                stale.add(row["clip"])
                grew = True


def _git(folder: str, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", folder, *args], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AgainstError(f"cannot run git: {error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AgainstError(message[-1] if message else f"git {' '.join(args)} failed")
    return done.stdout


def _checkout(root: str, path: str, ref: str, scratch: str) -> str | None:
    """The storyboard's project folder as it was at `ref`, unpacked in `scratch`; the storyboard's path
    there, or None when the folder did not exist at that revision."""
    top = _git(root, "rev-parse", "--show-toplevel").decode().strip()
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except AgainstError:
        raise AgainstError(f"`{ref}` is not a revision of the repository at `{top}`") from None
    real_top = os.path.realpath(top)
    relative_root = os.path.relpath(os.path.realpath(root), real_top)
    try:
        archive = _git(top, "archive", "--format=tar", ref, "--", relative_root)
    except AgainstError:
        return None  # the folder is newer than the revision: every clip is new
    import io
    import tarfile  # only for --against: `story plan` starts without it

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(scratch, filter="data")
    return os.path.join(scratch, os.path.relpath(os.path.realpath(path), real_top))


def against_text(tables: list[tuple[str, list[dict[str, Any]]]], ref: str) -> str:
    """The changed clips of each storyboard and what regenerating them costs, per currency."""
    from ..base.columns import table
    from ..models.pricing import money, money_sum, totals

    out = []
    prices = []
    for path, rows in tables:
        out.append(f"{path} (against {ref})")
        shown = [("clip", "change", "price")]
        for row in rows:
            price = row["price"]
            regenerated = row["change"] in ("new", "changed")
            if regenerated:
                prices.append(price)
            shown.append((row["clip"], row["change"],
                          money(price.amount, price.currency) if regenerated else "-"))
        out += table(shown, indent="  ")  # by display width: CJK clip names line up
    count = sum(1 for _, rows in tables for row in rows if row["change"] in ("new", "changed"))
    cost = money_sum(totals(prices))
    out.append(f"regenerating {count} clip{'' if count == 1 else 's'} changed since {ref}: {cost}")
    return "\n".join(out) + "\n"


def regeneration_problem(tables: list[tuple[str, list[dict[str, Any]]]], budget: float) -> str | None:
    """None when regenerating the changed clips fits `budget`, else why not (unknown is not zero)."""
    from ..models.pricing import money, totals

    prices = [row["price"] for _, rows in tables for row in rows if row["change"] in ("new", "changed")]
    sums = totals(prices)
    if len(sums) > 1:
        return "cannot check --budget: the changed clips are priced in several currencies; plan them separately"
    if not sums:
        return None
    if sums[0].amount is None:
        return "cannot check --budget: what regenerating costs is unknown, and unknown is not zero"
    if sums[0].amount > budget:
        return f"over budget: regenerating costs {money(sums[0].amount, sums[0].currency)} > {money(budget, sums[0].currency)}"
    return None


def against_json(tables: list[tuple[str, list[dict[str, Any]]]], ref: str) -> list[dict[str, Any]]:
    return [{"storyboard": path, "against": ref, "clips": [
        {"clip": row["clip"], "change": row["change"], "request": row["request"],
         "price": None if row["price"] is None or row["change"] not in ("new", "changed") else
         {"amount": row["price"].amount, "currency": row["price"].currency, "region": row["price"].region}}
        for row in rows]} for path, rows in tables]


def option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--against", metavar="GIT_REF",
                        help="list the clips whose requests changed since that git revision, and what "
                        "regenerating them costs")
