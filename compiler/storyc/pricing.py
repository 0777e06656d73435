"""What a request costs: the profile's per-second price for the region called, times the seconds.

A price that is not in the profile is unknown (`amount` None), never zero: totals that meet an
unknown price are unknown too, and a budget refuses them.
"""

from __future__ import annotations

from typing import Any, Iterable, NamedTuple, Union

from .profile import Profile


class Price(NamedTuple):
    amount: Union[float, None]  # None: the profile has no price for this model, region and tier
    currency: str
    region: str
    tier: str
    seconds: float


def tier_of(profile: Profile, values: dict[str, Any]) -> str:
    """The billed tier of a request's values (`request_values`): its resolution, or its size's tier."""
    if profile.protocol == "legacy":
        return str(profile.sizes()[values["size"]][0])
    return str(values["resolution"])


def clip_price(profile: Profile, region: str, tier: str, seconds: float) -> Price:
    pricing = profile.data["pricing"]
    rate = pricing["per_second"].get(region, {}).get(tier)
    amount = None if rate is None else round(rate * seconds, 6)
    return Price(amount, str(pricing["currency"]), region, tier, seconds)


def total(prices: Iterable[Price]) -> Union[float, None]:
    """The sum, or None when any price is unknown."""
    amount = 0.0
    for price in prices:
        if price.amount is None:
            return None
        amount += price.amount
    return round(amount, 6)
