"""The house: every module imports only from its own stage or an earlier one, and no import circle.

The stage order is `storyc.STAGES`, written once. Imports inside functions count (a lazy import is
still a dependency), and so do imports under `if TYPE_CHECKING:`: they never run, but a type named
across a circle still ties the two designs together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import storyc

PACKAGE = Path(storyc.__file__).resolve().parent


def _module_name(path: Path, root: Path = PACKAGE.parent) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str], root: Path = PACKAGE.parent) -> set[str]:
    """The storyc modules `path` imports, for types too (a package's names resolved to submodules)."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("storyc"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import errors` depends on the submodule alone
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return {module for module in found if module in modules and module != name}


def _graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    return {_module_name(path): _imports(path, modules) for path in paths}


def _stage(module: str) -> int:
    """The index of a module's stage; the root package and `__main__` sit outside the order."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in storyc.STAGES:
        return -1
    return storyc.STAGES.index(parts[1])


def test_every_room_is_a_stage() -> None:
    rooms = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert rooms == set(storyc.STAGES), "a new folder under storyc/ needs its place in storyc.STAGES"


def test_no_import_from_a_later_stage() -> None:
    backwards = [
        f"{module} ({storyc.STAGES[_stage(module)]}) imports {target} ({storyc.STAGES[_stage(target)]})"
        for module, targets in _graph().items() for target in sorted(targets)
        if _stage(module) >= 0 and _stage(target) > _stage(module)
    ]
    assert not backwards, "\n".join(backwards)


def test_no_import_circle() -> None:
    graph = _graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not circles, "\n".join(" -> ".join(circle) for circle in circles)


def test_the_checker_sees_a_circle(tmp_path: Path) -> None:
    """The walk itself: two modules that import each other are found."""
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("from .b import x\n", encoding="utf-8")
    second.write_text("def f():\n    from . import a\n", encoding="utf-8")
    modules = {f"{tmp_path.name}.a", f"{tmp_path.name}.b"}
    assert _imports(first, modules, tmp_path.parent) == {f"{tmp_path.name}.b"}
    assert _imports(second, modules, tmp_path.parent) == {f"{tmp_path.name}.a"}
