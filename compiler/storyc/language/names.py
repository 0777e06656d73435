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
    """The closest declared name for an unknown one: what `difflib.get_close_matches(word, names, n=1)`
    returns, cheaply for many unknown names among many declarations.

    difflib's ratio is 2·M/(len a + len b), where M, the characters its matching blocks share, is at
    most the size of the two words' multiset intersection. An inverted index from (character, k) to the
    names holding that character at least k times counts that intersection for every name at once
    (in C, through `Counter.update`); only the names whose bound reaches the 0.6 cutoff are compared
    with difflib, best bound first, stopping once no bound can beat the best ratio found. Results are
    remembered per word.
    """

    CUTOFF = 0.6

    def __init__(self, names: list[str]) -> None:
        self._names = names
        self._postings: dict[tuple[str, int], list[str]] = {}
        for name in dict.fromkeys(names):
            counts: dict[str, int] = {}
            for char in name:
                counts[char] = counts.get(char, 0) + 1
                self._postings.setdefault((char, counts[char]), []).append(name)
        self._shortest = min((len(name) for name in names), default=1)
        self._found: dict[str, tuple[Union[str, None], int]] = {}

    def closest(self, word: str) -> tuple[Union[str, None], int]:
        """The closest declared name, and how many characters of `word` it stands for.

        In run-on text (`@獵貓追著羚羊`) the name is compared with the start of the run only.
        """
        if word not in self._found:
            best = self._match(word)
            if best is None and run_on(word):
                for length in sorted({len(name) for name in self._names}, reverse=True):
                    if length < len(word):
                        close = self._match(word[:length], length)
                        if close is not None:
                            self._found[word] = (close, length)
                            break
            self._found.setdefault(word, (best, len(word)))
        return self._found[word]

    def _match(self, word: str, length: Union[int, None] = None) -> Union[str, None]:
        from collections import Counter
        from difflib import SequenceMatcher

        shared: Counter[str] = Counter()
        counts: dict[str, int] = {}
        for char in word:
            counts[char] = counts.get(char, 0) + 1
            shared.update(self._postings.get((char, counts[char]), ()))
        size = len(word)
        shortest = self._shortest if length is None else length
        matcher = SequenceMatcher()
        matcher.set_seq2(word)
        best: tuple[float, str] = (self.CUTOFF, "")
        found = None
        for name, common in shared.most_common():  # most characters in common first
            if 2 * common / (size + shortest) < best[0]:
                break  # no name left can reach the best ratio found
            bound = 2 * common / (size + len(name))
            if (length is not None and len(name) != length) or (bound, name) < best:
                continue
            matcher.set_seq1(name)
            score = matcher.ratio()
            if score >= self.CUTOFF and (found is None or (score, name) > best):
                best, found = (score, name), name
        return found


def run_on(read: str) -> bool:
    """True when the text read after `@` holds a character of a script written without spaces."""
    import unicodedata

    return any(unicodedata.east_asian_width(char) in ("W", "F") for char in read)
