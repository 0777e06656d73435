"""Takes: several renders of one clip, each its own request with its own seed.

Take 1 is the clip's request as compiled, so asking for more takes later never changes (or pays
again for) the first. Take k > 1 is the same body with `parameters.seed` replaced by a seed derived
from the clip's own seed (or, without one, from the body) and k: a second run asks for the same
seeds, and the journal and the lock file know each take by its request hash.

Take k's video is `<clip>.take<k>.mp4` beside `<clip>.mp4` (take 1); which take a clip uses is the
lock file's select (`story select`).
"""

from __future__ import annotations

from typing import Any, Union

from ..base import data
from ..base.paths import sha256

SEED_MAX = 2147483647  # the seed range every Wan model takes (profiles' `seed`, API reference `seed`)


def takes_range() -> tuple[int, int]:
    bounds = data.table("settings")["takes"]
    return int(bounds["min"]), int(bounds["max"])


def take_label(clip: str, take: int) -> str:
    """`chase` for take 1, `chase.take2` for take 2: the video's file stem and the name in tables.

    Clip names hold no `.` (NAME in grammar/story.lark), so a label is never another clip's name."""
    return clip if take == 1 else f"{clip}.take{take}"


def take_seed(body: dict[str, Any], take: int) -> Union[int, None]:
    """The seed take `take` is sent with: the clip's own for take 1 (None when it has none)."""
    seed = (body.get("parameters") or {}).get("seed")
    own = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
    if take == 1:
        return own
    # From the clip's seed when it has one, so that the take follows a `seed` edit; from the body
    # otherwise (a clip without a seed still gets the same seeds run after run).
    if own is not None:
        basis = str(own)
    else:
        import json

        basis = json.dumps(body, ensure_ascii=False, sort_keys=True)
    digest = sha256(f"storyc-take:{basis}:{take}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (SEED_MAX + 1)


def take_body(body: dict[str, Any], take: int) -> dict[str, Any]:
    """The request body of take `take` of a clip whose body (take 1) is `body`."""
    if take == 1:
        return body
    import copy

    derived = copy.deepcopy(body)
    derived.setdefault("parameters", {})["seed"] = take_seed(body, take)
    return derived
