"""What a request costs: the profile's price row for the region called, times the seconds billed.

Each price row (profiles/*.yaml, `pricing.<region>`) carries its currency, unit (one generated
second), source and the date it was checked. A price that is not in the profile is unknown
(`amount` None), never zero: totals that meet an unknown price are unknown too, and a budget
refuses them.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, NamedTuple, Sequence, Union

from .profile import Profile


class Price(NamedTuple):
    amount: Union[float, None]  # None: the profile has no price for this model, region and tier
    currency: str
    region: str
    tier: str
    seconds: float
    rate: Union[float, None] = None  # per second
    source: str = ""  # where the rate comes from, and when it was checked


class Total(NamedTuple):
    """A sum of prices in one currency; `amount` None when any of them is unknown."""

    amount: Union[float, None]
    currency: str
    unknown: tuple[Price, ...]  # the prices that made it unknown


def price_row(profile: Profile, region: str) -> Union[dict[str, Any], None]:
    """The profile's price row for a region, or None when it has none."""
    row: Union[dict[str, Any], None] = profile.data["pricing"].get(region)
    return row


def currency_of(profile: Profile, region: str) -> str:
    """The currency of the region's row; where there is none, that of any other row (the
    amount is unknown either way, but the column still needs a heading)."""
    row = price_row(profile, region)
    if row is not None:
        return str(row["currency"])
    rows = list(profile.data["pricing"].values())
    return str(rows[0]["currency"]) if rows else "CNY"


def tier_of(profile: Profile, values: dict[str, Any]) -> str:
    """The billed tier of a request's values (`request_values`): its resolution, or its size's tier."""
    if not profile.sends_resolution():
        return str(profile.sizes()[values["size"]][0])
    return str(values["resolution"])


def clip_price(profile: Profile, region: str, tier: str, seconds: float) -> Price:
    row = price_row(profile, region)
    rate = None if row is None else row["tiers"].get(tier)
    amount = None if rate is None else round(rate * seconds, 6)
    source = "" if row is None else f"{row['source']}, checked {row['checked']}"
    return Price(amount, currency_of(profile, region), region, tier, seconds, rate, source)


class Terms(NamedTuple):
    """What the service bills a request body on: its tier and its seconds (tier "" when unknown)."""

    tier: str
    seconds: int
    picture: str  # as a person reads it: `1280*720`, or `720P 16:9`


def body_terms(profile: Profile, body: Mapping[str, Any]) -> Terms:
    """The tier and seconds of a final request body, read as the service reads it (§4, §9).

    A parameter the body leaves out takes the model's default; a model whose duration is fixed bills
    that. A size or resolution the profile does not know gives tier "", which no price row has.
    """
    parameters = body.get("parameters")
    parameters = parameters if isinstance(parameters, Mapping) else {}
    resolution = profile.resolution
    rule = profile.duration
    seconds = _whole(parameters.get("duration", rule.get("fixed", rule["default"])))
    if not profile.sends_resolution():  # the size decides; a `resolution` here is not read
        size = parameters.get("size") or resolution["pixels"][resolution["default_tier"]][resolution["default_ratio"]]
        tier = profile.sizes().get(str(size), ("", ""))[0]
        return Terms(tier, seconds, str(size))
    tier = str(parameters.get("resolution") or resolution["default_tier"])
    ratio = str(parameters.get("ratio") or resolution["default_ratio"])
    return Terms(tier if tier in resolution["tiers"] else "", seconds, f"{tier} {ratio}")


def _whole(value: Any) -> int:
    """A duration as the service reads it: `15` or `15.0` is 15 s; anything else prices as 0 (unknown)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    if isinstance(value, float) and not value.is_integer():  # nor infinite, nor NaN
        return 0
    return int(value)


def body_price(profile: Profile, region: str, body: Mapping[str, Any],
               input_seconds: Union[float, None] = 0.0) -> Price:
    """What a final request body costs in the region it is sent to, with the input video seconds its
    model bills besides (`input_video_seconds`); unknown (None) when the body names another model than
    `profile`, a tier or duration the profile cannot price, or a billed input of unknown length."""
    terms = body_terms(profile, body)
    price = clip_price(profile, region, terms.tier, terms.seconds + (input_seconds or 0.0))
    if body.get("model") not in (profile.id, profile.id_in(region)) or not terms.seconds or input_seconds is None:
        return price._replace(amount=None)
    return price


def input_video_seconds(profile: Profile, lengths: Sequence[Union[float, None]], references: int) -> Union[float, None]:
    """Input video seconds billed besides the output, by the profile's rule (wan-media-api.md §11): none;
    `capped` at `cap_seconds` shared by the reference videos (wan2.7-r2v) or by all references (wan2.6-r2v),
    each video billed min(length, share); `all`. None when a length is unknown (a URL): so is the price."""
    media = profile.media
    rule: dict[str, Any] = media["billing"] if media is not None else {"input_video": "none"}
    if rule["input_video"] in ("none", "output") or not lengths:
        return 0.0
    known = [length for length in lengths if length is not None]
    if len(known) < len(lengths):
        return None
    if rule["input_video"] == "all":
        return round(sum(known), 6)
    share = float(rule["cap_seconds"]) / (len(known) if rule["cap_divisor"] == "reference_videos" else max(1, references))
    return round(sum(min(length, share) for length in known), 6)


def total(prices: Iterable[Price]) -> Union[float, None]:
    """The sum, or None when any price is unknown."""
    amount = 0.0
    for price in prices:
        if price.amount is None:
            return None
        amount += price.amount
    return round(amount, 6)


def totals(prices: Iterable[Price]) -> list[Total]:
    """One total per currency, in the order currencies first appear; amounts never mix currencies."""
    grouped: dict[str, list[Price]] = {}
    for price in prices:
        grouped.setdefault(price.currency, []).append(price)
    return [
        Total(total(group), currency, tuple(p for p in group if p.amount is None))
        for currency, group in grouped.items()
    ]


def money(amount: Union[float, None], currency: str) -> str:
    """`CNY 7.34`, or `CNY unknown`; two decimals for people, the exact figure stays in --json."""
    return f"{currency} {'unknown' if amount is None else f'{amount:.2f}'}"


def money_sum(sums: Iterable[Total]) -> str:
    """`CNY 7.34`, `CNY 7.34 + USD 1.00` (totals never mix currencies); `nothing` for no prices."""
    return " + ".join(money(item.amount, item.currency) for item in sums) or "nothing"


def billed_seconds(usage: Mapping[str, Any]) -> float:
    """Seconds billed, from `usage` (§6.3, §6.4): `duration` (wan2.6, 2.7) or `video_duration` (older)."""
    for name in ("duration", "video_duration", "output_video_duration"):
        value = usage.get(name)
        if isinstance(value, (int, float)):
            return float(value)
    return 0.0


def cost_of(price: Price, seconds: float) -> Union[float, None]:
    """What `seconds` billed cost at `price` (pro rata); None when the price is unknown."""
    if price.amount is None:
        return None
    if price.seconds == 0:
        return 0.0
    return round(price.amount / price.seconds * seconds, 6)
