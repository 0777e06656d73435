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

from ..base.columns import table as columns
from ..language.settings import Settings
from ..language.timeline import seconds
from ..models.pricing import (
    Price,
    Terms,
    Total,
    body_price,
    body_terms,
    clip_price,
    money,
    price_row,
    tier_of,
    totals,
)
from ..models.profile import Profile
from . import media
from .emit import compile_plan, request_values
from .plan import ClipPlan, Plan
from .takes import take_body, take_label

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


def plan_rows(plan: Plan, status: Union[Mapping[str, str], None] = None,
              takes: Union[int, None] = None) -> PlanTable:
    """One row per request, priced from its final body (after any project template) with the clip's
    own model and region; `status` maps take labels (`chase`, `chase.take2`) to `cached`, `in flight`
    or `to submit`. A clip asks for `takes` takes (`--takes`), else its `takes` setting, else one:
    each take is a row of its own, priced in full.

    A clip that did not compile has no body to price: its price is unknown, never zero."""
    compiled = {clip.name: clip for clip in compile_plan(plan).clips}
    rows: list[dict[str, Any]] = []
    prices: list[Price] = []
    notes: list[str] = []
    for clip_plan, take in _takes(plan, takes):
        profile, region = plan.profile_for(clip_plan), plan.region_for(clip_plan)
        clip = compiled.get(clip_plan.name)
        prompt = clip.prompt if clip is not None else ""
        asked = request_values(plan, clip_plan, prompt)
        if clip is not None:
            body = take_body(clip.body, take)
            price = body_price(profile, region, body, media.input_seconds(plan, clip_plan))
            terms = body_terms(profile, body)
            notes += _sent_otherwise(clip_plan.name, profile, asked, terms)
        else:
            terms = Terms(tier_of(profile, asked), clip_plan.millis // 1000, _picture(profile, asked))
            price = clip_price(profile, region, terms.tier, clip_plan.millis / 1000)._replace(amount=None)
        if profile.media is not None:  # a picture that follows the input says so
            terms = terms._replace(picture=media.picture(plan, clip_plan, asked))
        label = take_label(clip_plan.name, take)
        state = (status or {}).get(label)
        billed = state not in NOT_BILLED
        if billed:
            prices.append(price)
        found = _notes(plan.settings_for(clip_plan), profile, plan.model_for(clip_plan), region, price)
        if clip_plan.picked:  # a family: which member was picked and why, rather than "sent as"
            found = [f"clip `{clip_plan.name}`: {clip_plan.picked}", *(n for n in found if " is sent as " not in n)]
        notes += found
        row: dict[str, Any] = {
            "clip": label, "take": take, "model": plan.model_for(clip_plan), "region": region,
            "duration": _number(int(price.seconds * 1000)), "picture": terms.picture, "tier": price.tier,
            "shots": max(1, len(clip_plan.shots)), "prompt_chars": len(prompt),
            "prompt_limit": profile.data["prompt_max_chars"],
            "price": {"amount": price.amount, "currency": price.currency, "region": region, "tier": price.tier,
                      "seconds": _number(int(price.seconds * 1000)), "per_second": price.rate,
                      "source": price.source},
            "billed": billed,
        }
        if state is not None:
            row["status"] = state
        rows.append(row)
    currency = prices[0].currency if prices else clip_price(plan.profile, plan.region, "", 0).currency
    return PlanTable(rows, plan.region, currency, prices, list(dict.fromkeys(notes)))


def _takes(plan: Plan, takes: Union[int, None]) -> list[tuple[ClipPlan, int]]:
    """Each clip with each take number it asks for, in film order."""
    return [(clip_plan, take) for clip_plan in plan.clips
            for take in range(1, (takes or int(plan.settings_for(clip_plan).get("takes", 1))) + 1)]


def _picture(profile: Profile, values: Mapping[str, Any]) -> str:
    return str(values["size"]) if profile.protocol == "legacy" else f"{values['resolution']} {values['ratio']}"


def _sent_otherwise(name: str, profile: Profile, asked: Mapping[str, Any], sent: Terms) -> list[str]:
    """A note when the body (a project template) sends another duration or picture than the storyboard
    asks for: the price follows the body, and the reader should know why it differs."""
    wanted = [f"{asked['duration']}s" if asked["duration"] is not None else "", _picture(profile, asked)]
    actual = [f"{sent.seconds}s" if asked["duration"] is not None else "", sent.picture]
    changed = [(want, got) for want, got in zip(wanted, actual, strict=True) if want != got]
    if not changed:
        return []
    what = " and ".join(got for _, got in changed)
    asked_for = " and ".join(want for want, _ in changed)
    return [f"clip `{name}`: its request body (the project's template) asks for {what} where the storyboard "
            f"says {asked_for}; it is priced as sent"]


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
        out.append(f"{path} (region {table.region}, prices in {table.currency})")
        out += columns(lines)  # aligned by display width: a CJK clip name takes two columns a character
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
