"""Generate large storyboards for the benchmarks."""

from __future__ import annotations

import json


def storyboard(shots: int, declarations: int = 0, unknown: int = 0) -> str:
    """A `scene` of `shots` shots, each with framing, camera, prose, a cue and dialogue.

    `declarations` adds that many more cast members; `unknown` makes that many of the shots refer to
    a name nobody declared (a different one each time, close to a declared one), for the cost of
    reporting undeclared names with a suggestion.
    """
    lines = [
        "storyboard \"bench\"", "model wan2.7-t2v", "resolution 720P", "ratio 16:9", "language en",
        "cast fox: a red fox in a brown trench coat", "place office: a cluttered detective office",
        *(f"cast extra_{n}: extra number {n}" for n in range(declarations)), "",
        "scene long",
    ]
    for index in range(shots):
        who = f"extra_{index}x" if index < unknown else "fox"
        lines += [
            f"  shot 3s {'wide' if index % 2 else 'close-up'}",
            "    camera: slow push in",
            f"    @{who} paces the @office, turning page {index} of the case file under the lamp",
            "    sfx: rain on the window",
            "    say fox: the case was cold, colder than the rain",
        ]
    return "\n".join(lines) + "\n"


def as_json(shots: int) -> str:
    """The same content as compact JSON, for a json.loads baseline."""
    document = {
        "storyboard": "bench", "model": "wan2.7-t2v", "resolution": "720P", "ratio": "16:9",
        "language": "en",
        "cast": {"fox": "a red fox in a brown trench coat"},
        "places": {"office": "a cluttered detective office"},
        "scenes": [{"name": "long", "shots": [
            {"duration": 3, "framing": "wide" if i % 2 else "close-up", "camera": "slow push in",
             "prose": [f"@fox paces the @office, turning page {i} of the case file under the lamp"],
             "sfx": ["rain on the window"],
             "dialogue": [{"speaker": "fox", "line": "the case was cold, colder than the rain"}]}
            for i in range(shots)
        ]}],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
