"""`@node`: immutable record classes whose spans take no part in equality.

Nodes are tuple subclasses built by one C-level `tuple.__new__` call: a large storyboard makes
hundreds of thousands of them, and `dataclasses` (with `inspect` behind it) would also cost more
start-up time than the rest of `story check`. Fields named `span` or `*_span` are positions: two
trees that say the same thing compare equal wherever it is written.

A position is not kept as a `Span`: the tuple holds its start and its size (end - start) in two
slots, and reading the field makes the `Span`. A `Span` is a 56-byte tuple and an offset past 256 a
28-byte int of its own, while a size up to 256 (most lines) is one of the small ints CPython shares:
a large storyboard holds about 1 KB less per shot (bench/check_scale.py). A parser that builds nodes
with `tuple.__new__` lays out the slots the same way.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ..base.source import Span

T = TypeVar("T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        return lambda decorated: decorated


def _is_position(field: str) -> bool:
    return field == "span" or field.endswith("_span")


def _span_reader(index: int) -> property:
    scope: dict[str, Any] = {"_new": tuple.__new__, "Span": Span}
    exec(  # noqa: S102 - two constant indexes
        f"def read(self):\n    start = self[{index}]\n    return _new(Span, (start, start + self[{index + 1}]))\n",
        scope,
    )
    return property(scope["read"])


_PLAIN = frozenset({"str", "int", "Union[str, None]", "Union[int, None]"})


def _role(annotation: object) -> str:
    written = str(annotation)
    return "plain" if written in _PLAIN else "nodes" if written.startswith("tuple[") else "node"


@dataclass_transform(frozen_default=True, eq_default=True)
def node(cls: type[T]) -> type[T]:
    fields = tuple(cls.__dict__.get("__annotations__", {}))
    # where each field's value starts in the tuple: a position takes two slots, start and size
    at: dict[str, int] = {}
    stored: list[str] = []
    for field in fields:
        at[field] = len(stored)
        stored += [f"{field}[0]", f"{field}[1] - {field}[0]"] if _is_position(field) else [field]
    compared = tuple(at[field] for field in fields if not _is_position(field))
    namespace: dict[str, Any] = {
        key: value
        for key, value in cls.__dict__.items()
        if key not in ("__dict__", "__weakref__", "__annotations__")
    }
    namespace["__slots__"] = ()
    namespace["__match_args__"] = fields
    namespace["_fields"] = fields
    # what each slot holds: "start" and "size" of a position, or a field's value, by its declared
    # type: "plain" (a string, a number), "nodes" (a tuple of nodes) or "node" (a node, or None)
    annotations = cls.__dict__.get("__annotations__", {})
    namespace["_layout"] = tuple(
        role for field in fields for role in (("start", "size") if _is_position(field) else (_role(annotations[field]),)))
    for field in fields:
        if _is_position(field):
            namespace[field] = _span_reader(at[field])
        else:
            namespace[field] = property(itemgetter(at[field]), doc=f"field {field}")
    scope: dict[str, Any] = {"_new": tuple.__new__}
    exec(  # noqa: S102 - generated from the class's own field names
        f"def __new__(cls, {', '.join(fields)}):\n    return _new(cls, ({', '.join(stored)},))\n",
        scope,
    )
    namespace["__new__"] = scope["__new__"]
    pick = itemgetter(*compared) if len(compared) > 1 else (lambda values: (values[compared[0]],))

    def __eq__(self: tuple[Any, ...], other: object) -> bool:
        if type(other) is not type(self):
            return False
        return bool(pick(self) == pick(other))

    def __ne__(self: tuple[Any, ...], other: object) -> bool:
        return not __eq__(self, other)

    def __hash__(self: tuple[Any, ...]) -> int:
        return hash(pick(self))

    def values(self: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(getattr(self, field) for field in fields)

    def __repr__(self: tuple[Any, ...]) -> str:
        shown = ", ".join(f"{field}={value!r}" for field, value in zip(fields, values(self), strict=True))
        return f"{type(self).__name__}({shown})"

    def replace(self: tuple[Any, ...], **changes: Any) -> Any:
        given = dict(zip(fields, values(self), strict=True))
        given.update(changes)
        return type(self)(**given)

    namespace.update(
        __eq__=__eq__, __ne__=__ne__, __hash__=__hash__, __repr__=__repr__, replace=replace,
        __getnewargs__=values,
    )
    return type(cls.__name__, (tuple,), namespace)
