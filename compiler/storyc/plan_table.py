"""`story plan`: the requests a storyboard makes, with prompt lengths and estimated prices."""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Union

from .plan import Plan
from .render import compile_plan, request_values
from .timeline import seconds


class PlanTable(NamedTuple):
    rows: list[dict[str, Any]]
    regions: list[str]
    totals: dict[str, float]
    currency: str
    budget_region: str

    @property
    def total(self) -> float:
        return self.totals.get(self.budget_region, 0.0)


def plan_rows(plan: Plan, budget_region: Union[str, None] = None) -> PlanTable:
    profile = plan.profile
    pricing = profile.data["pricing"]
    regions = list(pricing["per_second"])
    compiled = {clip.name: clip for clip in compile_plan(plan).clips}
    rows = []
    totals = dict.fromkeys(regions, 0.0)
    for clip_plan in plan.clips:
        prompt = compiled[clip_plan.name].prompt if clip_plan.name in compiled else ""
        values = request_values(plan, clip_plan, prompt)
        tier = profile.sizes()[values["size"]][0] if profile.protocol == "legacy" else values["resolution"]
        picture = values["size"] if profile.protocol == "legacy" else f"{values['resolution']} {values['ratio']}"
        length = clip_plan.millis / 1000
        prices = {}
        for region in regions:
            rate = pricing["per_second"][region].get(tier)
            prices[region] = round(rate * length, 6) if rate is not None else None
            totals[region] += prices[region] or 0.0
        rows.append({
            "clip": clip_plan.name, "model": plan.model, "duration": seconds(clip_plan.millis),
            "picture": picture, "shots": max(1, len(clip_plan.shots)), "prompt_chars": len(prompt),
            "prompt_limit": profile.data["prompt_max_chars"], "price": prices,
        })
    chosen = budget_region or plan.settings.get("region") or profile.data["regions"][0]
    return PlanTable(rows, regions, {r: round(v, 6) for r, v in totals.items()}, pricing["currency"], chosen)


def plan_text(tables: list[tuple[str, PlanTable]]) -> str:
    out: list[str] = []
    for path, table in tables:
        header = ["clip", "model", "duration", "picture", "shots", "prompt", *table.regions]
        lines = [header]
        for row in table.rows:
            lines.append([
                row["clip"], row["model"], f"{row['duration']}s", row["picture"], str(row["shots"]),
                f"{row['prompt_chars']}/{row['prompt_limit']}",
                *(_money(row["price"][region]) for region in table.regions),
            ])
        seconds_total = sum(float(row["duration"]) for row in table.rows)
        lines.append(["total", "", f"{seconds(int(seconds_total * 1000))}s", "", "", "",
                      *(_money(table.totals[region]) for region in table.regions)])
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        out.append(f"{path} (prices in {table.currency})")
        out += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines]
        out.append("")
    return "\n".join(out)


def _money(value: Union[float, None]) -> str:
    return "-" if value is None else f"{value:.2f}"


def plan_json(tables: list[tuple[str, PlanTable]]) -> str:
    document = [
        {"storyboard": path, "currency": table.currency, "clips": table.rows, "totals": table.totals}
        for path, table in tables
    ]
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
