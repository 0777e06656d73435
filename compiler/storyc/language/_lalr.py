"""A small LALR(1) driver with a contextual lexer over the tables in `_tables.py`.

Lark computes the tables from grammar/story.lark at build time (grammar/build_tables.py); this module
runs them in one tight loop. A token is a plain tuple `(type, text, start, end)`; callbacks receive the
kept children of each reduced rule (terminals named `_…` are dropped; rules named `_…` are spliced into
their parent, as lark does).

Error recovery: the driver takes a checkpoint of its stacks every `CHECKPOINT_EVERY` lines. On a
failure it asks `recover` for a repaired text (the caller blanks the broken lines, which keeps every
offset) and resumes from the last checkpoint before the repair, so the result is the parse of the
repaired text without parsing the whole file again.
"""

from __future__ import annotations

import gc
import re
from typing import Any, Callable, Iterable, Pattern, Protocol, Sequence, Union

from . import _tables

Token = tuple[str, str, int, int]  # (type, text, start, end)
_IGNORED = frozenset(_tables.IGNORE)
_TERMINALS = frozenset(_tables.TERMINALS)
CHECKPOINT_EVERY = 64  # newlines between checkpoints: the most a recovery parses again


class Failure(Exception):
    """The text cannot be parsed at some point; subclasses say how."""


class LexFailure(Failure):
    """No terminal acceptable here matches the text at `offset`."""

    def __init__(self, offset: int, expected: frozenset[str]) -> None:
        super().__init__(offset)
        self.offset = offset
        self.expected = expected


class IndentFailure(Failure):
    """A line dedents to a depth that no enclosing block has (raised by the indenter in `parse`)."""

    def __init__(self, offset: int, indent: str, width: int, levels: tuple[tuple[int, str], ...]) -> None:
        super().__init__(offset)
        self.offset = offset  # where the line starts
        self.indent = indent
        self.width = width
        self.levels = levels  # (width, indentation text) of each open block, outermost first


class ParseFailure(Failure):
    """`token` cannot follow what came before it."""

    def __init__(self, token: tuple[str, str, int, int], expected: frozenset[str]) -> None:
        super().__init__(token[0])
        self.token = token
        self.expected = expected


class Lexer(Protocol):
    """The post-lexer: turns each newline token into the tokens to feed, and can be rewound."""

    def newline(self, token: Token) -> Sequence[Token]:
        """The tokens to feed for a newline token. Returning the token alone means nothing changed,
        and the driver may then skip the call for the same newline text (without a `#`) next time."""
    def finish(self, end: int) -> Iterable[Token]: ...
    def save(self) -> object: ...
    def restore(self, saved: object) -> None: ...


Recover = Callable[[Failure, str], Union[tuple[str, int], None]]


class _Splice(list):  # type: ignore[type-arg]
    """The children of an inlined `_rule`, to be spliced into the parent's children."""


def expected_terminals(state: int) -> frozenset[str]:
    return frozenset(s for s in _tables.STATES[state] if s in _TERMINALS or s == "$END")


_scanners: dict[tuple[str, ...], Pattern[str]] = {}


# Free text (VALUE) is most of the input. Its grammar regex stops before trailing blanks and before a
# ` # ` comment by testing lookaheads at every blank; the scanner instead takes the rest of the line,
# one fast character class, and `_trim_value` cuts it back to exactly what VALUE matches.
_FAST = {"VALUE": r"[^ \t\r\n#][^\r\n]*"}
_COMMENT_START = re.compile(r"[ \t]+#(?:[ \t]|$)")
_COMMENT_START_INSIDE = re.compile(r"[ \t]+#[ \t]")


def _trim_value(line: str, line_ends: bool = True) -> str:
    """The part of a line's rest that the grammar's VALUE takes: no comment, no trailing blanks.

    `line_ends` is false when the rest stopped at a lone `\r`, after which a `#` starts no comment.
    """
    if "#" in line:
        cut = (_COMMENT_START if line_ends else _COMMENT_START_INSIDE).search(line)
        if cut is not None:
            line = line[: cut.start()]
    return line.rstrip(" \t")


# Compiling a state's alternation costs about a millisecond, more than lexing a short file takes: a
# text shorter than this is lexed by trying the state's terminals one by one (each compiled once).
SHORT_TEXT = 20_000
_terminals: dict[str, Pattern[str]] = {}


class _Found:
    """What `_Sequential.match` returns: the parts of a match the driver reads."""

    __slots__ = ("lastgroup", "_start", "_end")

    def __init__(self, kind: str, start: int, end: int) -> None:
        self.lastgroup = kind
        self._start = start
        self._end = end

    def start(self, _group: str = "") -> int:
        return self._start

    def end(self) -> int:
        return self._end


class _Sequential:
    """A state's scanner for short texts: its terminals tried in priority order, as the alternation
    would (blanks first skipped; no terminal starts with one, so the alternation never backtracks
    into them)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.patterns = []
        for name in names:
            if name not in _IGNORED:
                if name not in _terminals:
                    _terminals[name] = re.compile(_FAST.get(name, _tables.TERMINALS[name]))
                self.patterns.append((name, _terminals[name]))

    def match(self, text: str, position: int) -> Union[_Found, None]:
        position = _skip_blanks(text, position)
        for name, pattern in self.patterns:
            found = pattern.match(text, position)
            if found is not None:
                return _Found(name, position, found.end())
        return None


def _scanner(names: tuple[str, ...]) -> Pattern[str]:
    """One regex per set of acceptable terminals; ignorable blanks are skipped by its prefix."""
    scanner = _scanners.get(names)
    if scanner is None:
        alternatives = "|".join(
            f"(?P<{name}>{_FAST.get(name, _tables.TERMINALS[name])})" for name in names if name not in _IGNORED
        )
        scanner = _scanners[names] = re.compile(f"[ \\t]*(?:{alternatives})")
    return scanner


Checkpoint = tuple[int, tuple[int, ...], tuple[Any, ...], list[tuple[Any, int]], object]


def _restored(saved_values: tuple[Any, ...], marks: list[tuple[Any, int]]) -> list[Any]:
    """The value stack of a checkpoint, each repetition list copied at its length then.

    Copies, not cut back in place: a checkpoint may come from an earlier parse whose tree still
    holds nothing of these lists, but whose later checkpoints do, and a copy leaves them all alone.
    """
    sizes = iter(marks)
    return [_Splice(value[: next(sizes)[1]]) if type(value) is _Splice else value for value in saved_values]


def parse(
    text: str, callbacks: dict[str, Callable[[list[Any]], Any]], lexer: Lexer, recover: Recover,
    checkpoints: Union[list[Checkpoint], None] = None, unchanged_before: int = 0,
) -> Any:
    """Parse `text` (ending with a newline); return the start rule's callback value.

    `lexer.newline` receives each `_NL` token and returns the tokens to feed in its place (the
    indentation post-lexer, which may raise a `Failure`); `lexer.finish` returns the tokens to feed
    before the end of input. On a failure, `recover(failure, text)` returns the repaired text and the
    first offset at which it differs, or None to give up (the result is then None).

    `checkpoints`, when given, is filled with this parse's checkpoints. If it already holds those of
    an earlier parse of a text equal to this one before `unchanged_before` (the same callbacks, and
    a lexer given the comments of that parse), the parse resumes from the last of them safely
    before that offset instead of starting again: an editor's change re-parses from near the edit.
    """
    states = _tables.STATES
    lexer_states = _tables.LEXER_STATES
    scanners: dict[int, Any] = {}  # compiled on first use: most files visit few states
    make_scanner: Callable[[tuple[str, ...]], Any] = _Sequential if len(text) < SHORT_TEXT else _scanner
    # The repetitions (`x+`, `x*`, inlined as `__x_plus_n: __x_plus_n x | x`) reduce once per line;
    # shape 1 (append to the list) and 2 (start it) take a short path in the loop below.
    reductions = [
        (size, keep, None if origin[0] == "_" else callbacks[origin], origin,
         (1 if (size, keep) == (2, (0, 1)) else 2 if (size, keep) == (1, (0,)) else 0) if origin[:2] == "__" else 0)
        for origin, size, keep in _tables.RULES
    ]
    end_state = _tables.END_STATE
    state_stack = [_tables.START_STATE]
    values: list[Any] = []
    splice = _Splice
    on_newline = lexer.newline

    position = 0
    length = len(text)
    newlines = 0
    unchanged: Union[str, None] = None
    # (offset, states, values, splice lengths, lexer state); the first one is the start of the text
    start_point: Checkpoint = (0, tuple(state_stack), (), [], lexer.save())
    if checkpoints is None:
        checkpoints = []
    # A checkpoint is taken before a newline token: the tokens before it, and what they reduced to,
    # depend on the text up to that newline and on a character or two after it, at most.
    earlier = [point for point in checkpoints if point[0] + 2 < unchanged_before]
    checkpoints[:] = earlier or [start_point]
    if earlier:
        position, saved_states, saved_values, marks, saved_lexer = checkpoints[-1]
        state_stack[:] = saved_states
        values[:] = _restored(saved_values, marks)
        lexer.restore(saved_lexer)
        newlines = len(checkpoints) * CHECKPOINT_EVERY - CHECKPOINT_EVERY
    enabled = gc.isenabled()
    gc.disable()  # the tree is acyclic; collections during a large parse only cost time
    try:
        while True:
            try:
                done = False
                while not done:
                    if position < length:
                        scanner = scanners.get(state_stack[-1])
                        if scanner is None:
                            scanner = scanners[state_stack[-1]] = make_scanner(lexer_states[state_stack[-1]])
                        match = scanner.match(text, position)
                        if match is None:
                            raise LexFailure(_skip_blanks(text, position), expected_terminals(state_stack[-1]))
                        kind: str = match.lastgroup
                        start = match.start(kind)
                        end = match.end()  # the token's group always ends the match
                        if kind == "VALUE":
                            value = text[start:end]
                            if value[-1] in " \t#" or "#" in value:
                                value = _trim_value(value, end == length or text[end] == "\n"
                                                    or text.startswith("\r\n", end))
                                end = start + len(value)
                            token = (kind, value, start, end)
                        else:
                            token = (kind, text[start:end], start, end)
                        if kind == "_NL":
                            newlines += 1
                            if not newlines % CHECKPOINT_EVERY:
                                checkpoints.append((
                                    position, tuple(state_stack), tuple(values),
                                    [(v, len(v)) for v in values if type(v) is splice], lexer.save(),
                                ))
                            position = end
                            if token[1] == unchanged:  # the same newline text, nothing to collect
                                pending: Iterable[Token] = (token,)
                            else:
                                pending = on_newline(token)
                                # `newline` returning the token alone changed nothing; the same text
                                # again (without comments to collect) will do the same.
                                unchanged = token[1] if len(pending) == 1 and "#" not in token[1] else None
                        else:
                            position = end
                            pending = (token,)
                    else:
                        pending = (*lexer.finish(length), ("$END", "", length, length))
                        done = True
                    for token in pending:
                        kind = token[0]
                        while True:  # shift `token`, after as many reductions as its lookahead calls for
                            try:
                                action = states[state_stack[-1]][kind]
                            except KeyError:
                                raise ParseFailure(token, expected_terminals(state_stack[-1])) from None
                            if action >= 0:
                                state_stack.append(action)
                                values.append(token)
                                break
                            # Reduce, inlined: this loop runs several times per line of input.
                            size, keep, callback, origin, shape = reductions[~action]
                            if shape == 1:  # a repetition grows by one item, in place
                                item = values.pop()
                                if type(item) is splice:
                                    values[-1].extend(item)
                                else:
                                    values[-1].append(item)
                                del state_stack[-2:]
                                state_stack.append(states[state_stack[-1]][origin])
                                continue
                            if shape == 2:  # a repetition starts
                                item = values[-1]
                                values[-1] = item if type(item) is splice else splice((item,))
                                state_stack[-1] = states[state_stack[-2]][origin]
                                continue
                            children: Any = None
                            if size:
                                popped = values[-size:]
                                del values[-size:]
                                del state_stack[-size:]
                                for index in keep:
                                    child = popped[index]
                                    if type(child) is splice:
                                        if children is None:
                                            children = child  # consumed exactly once: grow it in place
                                        else:
                                            children.extend(child)
                                    elif children is None:
                                        children = [child]
                                    else:
                                        children.append(child)
                            if children is None:
                                children = []
                            if callback is None:
                                values.append(children if type(children) is splice else splice(children))
                            else:
                                values.append(callback(children))
                            state_stack.append(states[state_stack[-1]][origin])
                            if state_stack[-1] == end_state:  # only after the last reduction, on `$END`
                                break
                return values[-1]
            except Failure as failure:
                repaired = recover(failure, text)
                if repaired is None:
                    return None
                text, changed_from = repaired
                length = len(text)
                while len(checkpoints) > 1 and checkpoints[-1][0] > changed_from:
                    checkpoints.pop()
                position, saved_states, saved_values, marks, saved_lexer = checkpoints[-1]
                state_stack[:] = saved_states
                values[:] = _restored(saved_values, marks)  # repetition lists grew in place
                lexer.restore(saved_lexer)
                unchanged = None
                newlines = len(checkpoints) * CHECKPOINT_EVERY - CHECKPOINT_EVERY
    finally:
        if enabled:
            # The new tree is long-lived and acyclic: hand it straight to the oldest generation
            # (freeze + unfreeze splices the lists) rather than have the young collections walk
            # every node once more - about a fifth of the parse time on large files.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _skip_blanks(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t":
        position += 1
    return position
