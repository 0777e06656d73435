"""The built-in templates, run without importing Jinja2.

`templates/*.j2` stay the source of truth. `python -m storyc.compile.templating` has Jinja2 compile each one
to Python ahead of time, into `_templates.py` (with the template's text); at run time that code runs
against the small runtime below, which gives it just what it uses (attribute lookup, the `join`,
`length` and `json` filters, the `none` test, strict undefined names). Importing Jinja2 costs more than
the rest of `story compile` put together. Each template's code is a function there (of the runtime's
names, returning the template's `root`), compiled once with the module: compiling it from text at
every start cost 0.3-0.5 ms a template.

A template whose text no longer matches what was compiled is rendered by Jinja2 instead, and
tests/test_templating.py keeps `_templates.py` current and the two renderers in agreement. Templates
in a project's own `templates/` folder are always rendered by Jinja2, sandboxed.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable, Iterable, Iterator, Union

HERE = os.path.dirname(__file__)
TEMPLATES = os.path.join(HERE, "templates")
GENERATED = os.path.join(HERE, "_templates.py")


class RenderError(Exception):
    """A built-in template failed: an undefined name, or something the runtime does not offer."""


class _Missing:
    def __repr__(self) -> str:
        return "missing"


missing = _Missing()


class StrictUndefined:
    """A name or attribute that does not exist; any use of it is an error, as with Jinja2's."""

    def __init__(self, hint: Any = None, obj: Any = None, name: Union[str, None] = None, exc: Any = None) -> None:
        self._name = name

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RenderError(f"'{self._name}' is undefined")

    __str__ = __bool__ = __iter__ = __len__ = __call__ = _fail

    def __getattr__(self, attribute: str) -> Any:
        return self._fail()


def _str_join(parts: Iterable[Any]) -> str:
    return "".join(map(str, parts))


def _internalcode(function: Callable[..., Any]) -> Callable[..., Any]:
    return function


def _join(eval_context: Any, value: Iterable[Any], separator: str = "") -> str:
    return separator.join(map(str, value))


def _to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Context:
    def __init__(self, variables: dict[str, Any]) -> None:
        self.parent = variables
        self.vars: dict[str, Any] = {}
        self.exported_vars: set[str] = set()
        self.eval_ctx = None

    def resolve_or_missing(self, key: str) -> Any:
        if key in self.vars:
            return self.vars[key]
        return self.parent.get(key, missing)

    def call(self, function: Any, *args: Any, _loop_vars: Any = None, _block_vars: Any = None, **kwargs: Any) -> Any:
        return function(*args, **kwargs)


class Environment:
    """Runs the precompiled built-in templates."""

    undefined = StrictUndefined
    filters: dict[str, Callable[..., Any]] = {"join": _join, "length": len, "json": _to_json}
    tests: dict[str, Callable[[Any], bool]] = {"none": lambda value: value is None}

    def __init__(self, compiled: dict[str, tuple[str, Callable[..., Any]]]) -> None:
        self.compiled = compiled  # template name -> (its text when compiled, the function returning its root)
        self._roots: dict[str, Callable[..., Iterator[str]]] = {}

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        return "".join(parts)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, StrictUndefined):
            return obj._fail()
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError):
            return StrictUndefined(name=attribute)

    def root(self, name: str) -> Union[Callable[..., Iterator[str]], None]:
        """The compiled template, or None when its source changed since it was compiled."""
        if name not in self._roots:
            entry = self.compiled.get(name)
            if entry is None or _read(name) != entry[0]:
                return None
            self._roots[name] = entry[1](environment=self, **_RUNTIME)
        return self._roots[name]

    def render(self, name: str, variables: dict[str, Any]) -> str:
        root = self.root(name)
        if root is None:
            raise KeyError(name)
        return "".join(root(_Context(variables)))


def _unavailable(name: str) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RenderError(f"the precompiled runtime has no `{name}`")
    return fail


_RUNTIME: dict[str, Any] = {
    "missing": missing, "Undefined": StrictUndefined, "str_join": _str_join, "internalcode": _internalcode,
    "TemplateRuntimeError": RenderError, "TemplateNotFound": RenderError,
    **{name: _unavailable(name) for name in ("LoopContext", "Macro", "Markup", "Namespace", "TemplateReference",
                                               "escape", "identity", "markup_join")},
}
_SUPPORTED_IMPORTS = set(_RUNTIME)
_ENVIRONMENT_USES = {"undefined", "concat", "filters", "tests", "getattr"}
_CONTEXT_USES = {"resolve_or_missing", "vars", "exported_vars", "call", "eval_ctx"}


def _read(name: str) -> str:
    with open(os.path.join(TEMPLATES, name), encoding="utf-8") as handle:
        return handle.read()


_builtin: Union[Environment, None] = None


def builtin() -> Union[Environment, None]:
    """The precompiled built-in templates, or None when `_templates.py` is missing."""
    global _builtin
    if _builtin is None:
        try:
            from ._templates import COMPILED
        except ImportError:
            return None
        _builtin = Environment(COMPILED)
    return _builtin


# ---- generation (needs Jinja2; run by `python -m storyc.compile.templating` and by the tests) ----

def compile_sources() -> dict[str, tuple[str, str]]:
    """Each built-in template's text and the Python code Jinja2 compiles it to."""
    import jinja2

    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    environment.filters["json"] = _to_json
    compiled: dict[str, tuple[str, str]] = {}
    for name in sorted(os.listdir(TEMPLATES)):
        if not name.endswith(".j2"):
            continue
        source = _read(name)
        code = str(environment.compile(source, name=name, raw=True))
        first, _, body = code.partition("\n")
        imported = set(re.fullmatch(r"from jinja2\.runtime import (.*)", first).group(1).split(", "))  # type: ignore[union-attr]
        _require(name, imported <= _SUPPORTED_IMPORTS, f"imports {sorted(imported - _SUPPORTED_IMPORTS)}")
        used = {word for word in _unavailable_names() if re.search(rf"\b{word}\b", body)}
        _require(name, not used, f"uses {sorted(used)}")
        _require(name, set(re.findall(r"\benvironment\.(\w+)", body)) <= _ENVIRONMENT_USES, "uses more of the environment")
        _require(name, set(re.findall(r"\bcontext\.(\w+)", body)) <= _CONTEXT_USES, "uses more of the context")
        for kind, table in (("filters", Environment.filters), ("tests", Environment.tests)):
            wanted = set(re.findall(rf"environment\.{kind}\['(\w+)'\]", body))
            _require(name, wanted <= set(table), f"needs {kind} {sorted(wanted - set(table))}")
        compiled[name] = (source, body)
    return compiled


def _unavailable_names() -> list[str]:
    return ["LoopContext", "Macro", "Markup", "Namespace", "TemplateReference", "escape", "identity", "markup_join"]


def _require(name: str, condition: bool, problem: str) -> None:
    if not condition:
        raise RenderError(f"template `{name}` {problem}: extend storyc/templating.py's runtime first")


def generated_module() -> str:
    compiled = compile_sources()
    builders = [_builder(f"_build_{number}", code) for number, (_, code) in enumerate(compiled.values())]
    table = ",\n".join(f" {name!r}: ({source!r}, _build_{number})"
                       for number, (name, (source, _)) in enumerate(compiled.items()))
    return "\n".join([
        '"""Generated by `python -m storyc.compile.templating` from templates/*.j2. Do not edit."""',
        "# fmt: off",
        "# ruff: noqa",
        "# mypy: ignore-errors",
        "",
        *builders,
        f"COMPILED = {{\n{table},\n}}",
        "",
    ])


def _builder(function: str, code: str) -> str:
    """A template's code as a function of the runtime's names that returns its `root`."""
    import ast

    module = ast.parse(code)
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg(name) for name in ("environment", *sorted(_RUNTIME))],
                              kwonlyargs=[], kw_defaults=[], defaults=[])
    body = [*module.body, ast.Return(ast.Name("root", ast.Load()))]
    definition = ast.FunctionDef(function, arguments, body, decorator_list=[], lineno=1)
    return ast.unparse(ast.fix_missing_locations(ast.Module([definition], type_ignores=[]))) + "\n\n"


if __name__ == "__main__":
    with open(GENERATED, "w", encoding="utf-8") as handle:
        handle.write(generated_module())
    print(f"wrote {GENERATED}")
