"""What an `@name` refers to. The entry points are `resolve(read, declared)` and `Suggestions`.

The parser reads `@` and then every letter, digit, `_` and inner `-` that follows, in any script.
Chinese and Japanese prose has no spaces, so that run may go on into the sentence (`@獵豹追著羚羊`);
the reference is the longest declared name the run starts with (`獵豹`). A name may end inside the
run only next to a character of such a script, so `@foxes` never silently means `@fox`.
"""

from __future__ import annotations

from typing import Container, Union


def resolve(read: str, declared: Container[str]) -> Union[str, None]:
    """The declared name that `read` (the text after `@`) refers to, or None."""
    if read in declared:
        return read
    for end in range(len(read) - 1, 0, -1):
        if read[:end] in declared and _may_end_between(read[end - 1], read[end]):
            return read[:end]
    return None


def _may_end_between(last: str, following: str) -> bool:
    import unicodedata

    wide = ("W", "F")
    return unicodedata.east_asian_width(last) in wide or unicodedata.east_asian_width(following) in wide


class Suggestions:
    """The closest declared name for an unknown one, cheaply for many names and many declarations.

    Results are remembered per name, and only declarations whose length could reach difflib's 0.6
    similarity are compared (a ratio of 2·matches/(len a + len b) needs the lengths within 3:7).
    """

    def __init__(self, names: list[str]) -> None:
        self._by_length: dict[int, list[str]] = {}
        for name in names:
            self._by_length.setdefault(len(name), []).append(name)
        self._found: dict[str, tuple[Union[str, None], int]] = {}

    def closest(self, word: str) -> tuple[Union[str, None], int]:
        """The closest declared name, and how many characters of `word` it stands for.

        In run-on text (`@獵貓追著羚羊`) the name is compared with the start of the run only.
        """
        if word not in self._found:
            best = self._match(word)
            if best is None and run_on(word):
                for length in sorted(self._by_length, reverse=True):
                    if length < len(word):
                        close = self._match(word[:length], self._by_length[length])
                        if close is not None:
                            self._found[word] = (close, length)
                            break
            self._found.setdefault(word, (best, len(word)))
        return self._found[word]

    def _match(self, word: str, candidates: Union[list[str], None] = None) -> Union[str, None]:
        import difflib

        size = len(word)
        if candidates is None:
            candidates = [
                name
                for length, names in self._by_length.items()
                if 0.6 * (size + length) <= 2 * min(size, length)
                for name in names
            ]
        found = difflib.get_close_matches(word, candidates, n=1)
        return found[0] if found else None


def run_on(read: str) -> bool:
    """True when the text read after `@` holds a character of a script written without spaces."""
    import unicodedata

    return any(unicodedata.east_asian_width(char) in ("W", "F") for char in read)
