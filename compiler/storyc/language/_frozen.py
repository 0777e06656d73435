"""`@node`: immutable record classes whose spans take no part in equality.

Nodes are tuple subclasses built by one C-level `tuple.__new__` call: a large storyboard makes
hundreds of thousands of them, and `dataclasses` (with `inspect` behind it) would also cost more
start-up time than the rest of `story check`. Fields named `span` or `*_span` are positions: two
trees that say the same thing compare equal wherever it is written.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable, TypeVar

T = TypeVar("T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        return lambda decorated: decorated


def _is_position(field: str) -> bool:
    return field == "span" or field.endswith("_span")


@dataclass_transform(frozen_default=True, eq_default=True)
def node(cls: type[T]) -> type[T]:
    fields = tuple(cls.__dict__.get("__annotations__", {}))
    compared = tuple(index for index, field in enumerate(fields) if not _is_position(field))
    namespace: dict[str, Any] = {
        key: value
        for key, value in cls.__dict__.items()
        if key not in ("__dict__", "__weakref__", "__annotations__")
    }
    namespace["__slots__"] = ()
    namespace["__match_args__"] = fields
    namespace["_fields"] = fields
    for index, field in enumerate(fields):
        namespace[field] = property(itemgetter(index), doc=f"field {field}")
    scope: dict[str, Any] = {"_new": tuple.__new__}
    exec(  # noqa: S102 - generated from the class's own field names
        f"def __new__(cls, {', '.join(fields)}):\n    return _new(cls, ({', '.join(fields)},))\n",
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

    def __repr__(self: tuple[Any, ...]) -> str:
        shown = ", ".join(f"{field}={value!r}" for field, value in zip(fields, self, strict=True))
        return f"{type(self).__name__}({shown})"

    def replace(self: tuple[Any, ...], **changes: Any) -> Any:
        values = dict(zip(fields, self, strict=True))
        values.update(changes)
        return type(self)(**values)

    namespace.update(
        __eq__=__eq__, __ne__=__ne__, __hash__=__hash__, __repr__=__repr__, replace=replace,
        __getnewargs__=lambda self: tuple(self),
    )
    return type(cls.__name__, (tuple,), namespace)
