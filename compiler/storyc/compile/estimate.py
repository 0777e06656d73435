"""`story plan`: the requests a storyboard makes, priced in the one region they go to.

Every amount is shown with its currency and region; a price the profiles do not have is unknown,
never zero, and a total that meets one is unknown too. `--json` gives numbers as numbers.

`plan_rows(plan, status)` takes an optional per-clip status (for `story render`: `cached`,
`in flight`, `to submit`); clips that are cached or in flight are shown but not counted, since
they cost nothing more.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, NamedTuple, Union

from ..language.settings import Settings
from ..language.timeline import seconds
from ..models.pricing import Price, Total, clip_price, money, price_row, tier_of, totals
from ..models.profile import Profile
from . import media
from .emit import compile_plan, request_values
from .plan import Plan

NOT_BILLED = ("cached", "in flight")  # statuses of clips that are already paid for


class PlanTable(NamedTuple):
    rows: list[dict[str, Any]]
    region: str
    currency: str
    prices: list[Price]  # one per clip that would be billed
    notes: list[str]

    @property
    def total(self) -> Total:
        found = totals(self.prices)
        return found[0] if found else Total(0.0, self.currency, ())


def _number(millis: int) -> Union[int, float]:
    return millis // 1000 if millis % 1000 == 0 else millis / 1000


def plan_rows(plan: Plan, status: Union[Mapping[str, str], None] = None) -> PlanTable:
    """One row per request, priced with the clip's own model and region (a clip's settings may
    override the file's); `status` maps clip names to `cached`, `in flight` or `to submit`."""
    compiled = {clip.name: clip for clip in compile_plan(plan).clips}
    rows: list[dict[str, Any]] = []
    prices: list[Price] = []
    notes: list[str] = []
    for clip_plan in plan.clips:
        profile, region = plan.profile_for(clip_plan), plan.region_for(clip_plan)
        prompt = compiled[clip_plan.name].prompt if clip_plan.name in compiled else ""
        values = request_values(plan, clip_plan, prompt)
        tier = tier_of(profile, values)
        picture = media.picture(plan, clip_plan, values)
        billed_seconds = media.billed_seconds(plan, clip_plan)  # input video seconds too, where billed
        price = clip_price(profile, region, tier, clip_plan.millis / 1000 if billed_seconds is None else billed_seconds)
        if billed_seconds is None:
            price = price._replace(amount=None)  # a billed input of unknown length: unknown, never zero
        state = (status or {}).get(clip_plan.name)
        billed = state not in NOT_BILLED
        if billed:
            prices.append(price)
        found = _notes(plan.settings_for(clip_plan), profile, plan.model_for(clip_plan), region, price)
        if clip_plan.picked:  # a family: which member was picked and why, rather than "sent as"
            found = [f"clip `{clip_plan.name}`: {clip_plan.picked}", *(n for n in found if " is sent as " not in n)]
        notes += found
        row: dict[str, Any] = {
            "clip": clip_plan.name, "model": plan.model_for(clip_plan), "region": region,
            "duration": _number(clip_plan.millis), "picture": picture, "tier": tier,
            "shots": max(1, len(clip_plan.shots)), "prompt_chars": len(prompt),
            "prompt_limit": profile.data["prompt_max_chars"],
            "price": {"amount": price.amount, "currency": price.currency, "region": region, "tier": tier,
                      "seconds": _number(clip_plan.millis), "per_second": price.rate, "source": price.source},
            "billed": billed,
        }
        if state is not None:
            row["status"] = state
        rows.append(row)
    currency = prices[0].currency if prices else clip_price(plan.profile, plan.region, "", 0).currency
    return PlanTable(rows, plan.region, currency, prices, list(dict.fromkeys(notes)))


def _notes(settings: Settings, profile: Profile, model: str, region: str, price: Price) -> list[str]:
    """What a reader of the price should know: a renamed model, an unknown price, a default tier."""
    notes: list[str] = []
    written = str(settings.get("model", profile.id))
    if written != model:
        notes.append(f"`{written}` is sent as `{model}`, its id in {region}")
    if price.amount is None:
        notes.append(f"no price for `{profile.id}` {price.tier} in {region}: the total is unknown "
                     f"(prices are known for {', '.join(profile.data['pricing']) or 'no region'})")
    tiers = profile.resolution["tiers"]
    if "resolution" not in settings.values and "size" not in settings.values and len(tiers) > 1:
        default = profile.resolution["default_tier"]
        row = price_row(profile, region) or {"tiers": {}, "currency": price.currency}
        rates = row["tiers"]
        cheapest = min(tiers, key=lambda tier: rates.get(tier, float("inf")))
        note = f"`resolution` is not set: `{profile.id}` defaults to {default}, " \
               f"{_rate(rates.get(default), row['currency'])} in {region}"
        if cheapest != default and rates.get(cheapest) is not None:
            note += f"; `resolution {cheapest}` costs {_rate(rates[cheapest], row['currency'])}"
        notes.append(note)
    return notes


def _rate(rate: Union[float, None], currency: str) -> str:
    return f"{currency} unknown per second" if rate is None else f"{currency} {rate} per second"


def plan_text(tables: list[tuple[str, PlanTable]]) -> str:
    out: list[str] = []
    for path, table in tables:
        statuses = any("status" in row for row in table.rows)
        mixed = any(row["region"] != table.region for row in table.rows)  # clips with their own `region`
        header = ["clip", *(["status"] if statuses else []), "model", "duration", "picture", "shots", "prompt",
                  "price" if mixed else f"price in {table.region}"]
        lines = [header]
        for row in table.rows:
            price = row["price"]
            shown = money(price["amount"], price["currency"]) if row["billed"] else "paid"
            if mixed and row["billed"]:
                shown += f" in {row['region']}"
            lines.append([
                row["clip"], *([row.get("status", "")] if statuses else []), row["model"], f"{row['duration']}s",
                row["picture"], str(row["shots"]), f"{row['prompt_chars']}/{row['prompt_limit']}", shown,
            ])
        millis = sum(int(round(float(row["duration"]) * 1000)) for row in table.rows if row["billed"])
        total = table.total
        lines.append(["total", *([""] if statuses else []), "", f"{seconds(millis)}s", "", "", "",
                      money(total.amount, total.currency) + (f" in {', '.join(_regions(table))}" if mixed else "")])
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        out.append(f"{path} (region {table.region}, prices in {table.currency})")
        out += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines]
        out += [f"note: {note}" for note in table.notes]
        out.append("")
    out.append(grand_total_text(tables))
    return "\n".join(out) + "\n"


def grand_totals(tables: list[tuple[str, PlanTable]]) -> list[dict[str, Any]]:
    """One total per currency over every storyboard, with the regions it was priced in."""
    by_currency: dict[str, list[PlanTable]] = {}
    for _, table in tables:
        by_currency.setdefault(table.total.currency, []).append(table)
    result = []
    for currency, group in by_currency.items():
        amounts = [table.total.amount for table in group]
        known = None if any(amount is None for amount in amounts) else round(sum(a or 0.0 for a in amounts), 6)
        regions = sorted({region for table in group for region in _regions(table)})
        result.append({"amount": known, "currency": currency, "regions": regions, "storyboards": len(group)})
    return result


def _regions(table: PlanTable) -> list[str]:
    """The regions a storyboard's billed clips go to (the file's, unless a clip sets its own)."""
    return sorted({price.region for price in table.prices} or {table.region})


def grand_total_text(tables: list[tuple[str, PlanTable]]) -> str:
    parts = []
    for entry in grand_totals(tables):
        parts.append(f"{money(entry['amount'], entry['currency'])} in {', '.join(entry['regions'])}")
    count = len(tables)
    return f"total for {count} storyboard{'' if count == 1 else 's'}: {'; '.join(parts) or 'nothing to pay'}"


def plan_json(tables: list[tuple[str, PlanTable]], budget: Union[float, None] = None) -> str:
    document: dict[str, Any] = {
        "storyboards": [
            {"storyboard": path, "region": table.region, "currency": table.currency, "clips": table.rows,
             "total": {"amount": table.total.amount, "currency": table.total.currency, "region": table.region},
             "notes": table.notes}
            for path, table in tables
        ],
        "totals": grand_totals(tables),
    }
    if budget is not None:
        problem = budget_problem(tables, budget)
        document["budget"] = {"amount": budget, "within": problem is None, "problem": problem}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def budget_problem(tables: list[tuple[str, PlanTable]], budget: float) -> Union[str, None]:
    """None when the plan fits the budget, else why it does not (or cannot be known to)."""
    entries = grand_totals(tables)
    if len(entries) > 1:
        currencies = ", ".join(entry["currency"] for entry in entries)
        return f"cannot check --budget: the prices are in several currencies ({currencies}); plan them separately"
    if not entries:
        return None
    entry = entries[0]
    if entry["amount"] is None:
        unknown = [f"{path}: {note}" for path, table in tables for note in table.notes if note.startswith("no price")]
        return "cannot check --budget: the total is unknown, and unknown is not zero\n  " + "\n  ".join(unknown)
    if entry["amount"] > budget:
        total, limit = money(entry["amount"], entry["currency"]), money(budget, entry["currency"])
        if total == limit:  # 7.33924 > 7.339 reads as 7.34 > 7.34: show the exact figures
            total, limit = f"{entry['currency']} {entry['amount']}", f"{entry['currency']} {budget}"
        return f"over budget: {total} in {', '.join(entry['regions'])} > {limit}"
    return None
