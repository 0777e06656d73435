"""Closest-match suggestions, and how sure each one is.

A suggestion is only `machine-applicable` when the word is a slip of the fingers away from exactly one
word of a small fixed vocabulary (a framing, a cue label); the closest of the author's own names, or of
the models, stays a suggestion (`maybe-incorrect`): another character or model is a different film.
"""

from __future__ import annotations

from typing import Iterable, Union


def typo_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def allowed_slips(word: str) -> int:
    """How many edits still count as a typo: one for short words, two from eight letters."""
    return 1 if len(word) < 8 else 2


def unique_typo(word: str, vocabulary: Iterable[str]) -> Union[str, None]:
    """The one word of `vocabulary` that `word` is a typo of, or None (no match, or several)."""
    lowered = word.lower()
    found = [choice for choice in vocabulary
             if choice != word and typo_distance(lowered, choice.lower()) <= allowed_slips(choice)]
    return found[0] if len(found) == 1 else None


def closest(word: str, choices: list[str], cutoff: float = 0.6) -> Union[str, None]:
    import difflib

    found = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return found[0] if found else None


def generation(model: str) -> str:
    """`wan2.7-t2v-plus` -> `wan2.7`: the family a model id belongs to."""
    return model.split("-", 1)[0].lower()


def closest_model(model: str, known: list[str]) -> Union[str, None]:
    """The closest known model, preferring the same generation: `wan2.7-t2v-plus` -> `wan2.7-t2v`."""
    same = [choice for choice in known if generation(choice) == generation(model)]
    if same:
        return closest(model, same, cutoff=0.0)
    return closest(model, known, cutoff=0.5)
