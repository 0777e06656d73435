"""What every check rule sees: the entry file, its settings and every declaration in scope.

The rule modules (`check`, `limits`, `audio`) import this one and never each other, so imports flow
one way: context <- limits, audio <- check.
"""

from __future__ import annotations

from typing import Callable, Iterable, NamedTuple, Union

from ..base.diagnostics import Diagnostic
from ..base.source import Source
from ..language.load import Program
from ..language.nodes import Clip, Declaration, Storyboard
from ..language.settings import Settings
from ..models.profile import Catalog, Profile


class Scope(NamedTuple):
    """The settings in force for one clip (the file's, overridden by the clip's own) and its model."""

    settings: Settings
    profile: Union[Profile, None]


class Context(NamedTuple):
    """The entry file, its resolved settings, every declaration in scope, and each clip's scope."""

    source: Source
    storyboard: Storyboard
    settings: Settings
    declarations: dict[str, tuple[Declaration, Source]]
    program: Program
    catalog: Catalog
    profile: Union[Profile, None]
    scopes: dict[int, Scope]  # keyed by id() of the clip node: equal clips may differ in scope

    def scope(self, clip: Clip) -> Scope:
        """The settings and model a clip is generated with."""
        return self.scopes.get(id(clip)) or Scope(self.settings, self.profile)

    def distinct_scopes(self) -> list[Scope]:
        """Each scope some clip uses, once, in file order; the file's own when there are no clips."""
        seen: dict[tuple[tuple[str, int], ...], Scope] = {}
        for clip in self.storyboard.clips:
            scope = self.scope(clip)
            # Nodes compare equal wherever they are written; a scope is told apart by which lines set it.
            key = tuple((name, id(node)) for name, node in sorted(scope.settings.nodes.items()))
            seen.setdefault(key, scope)
        return list(seen.values()) or [Scope(self.settings, self.profile)]


Rule = Callable[[Context], Iterable[Diagnostic]]
