"""Project templates (`<root>/templates/`) run here: sandboxed, read only from inside the project, and
under limits, so a cloned repository cannot hang, exhaust or read around the compiler.

Each render of a project's template (and any built-in template rendered beside it) is held to:

- `WALL_SECONDS` of wall-clock time,
- `MAX_OUTPUT` characters of output, and of any one string or list built along the way,
- `MAX_ITEMS` items in a list, dict or set a template grows with `do`,
- `MAX_NUMBER` for any whole number handed to a filter, function or method, and as the size of a
  `*` or `**` result (so `'x' * 10**10`, `center(10**9)` or `2 ** 10**9` never start),
- `MAX_DEPTH` nested calls (macros calling macros) and Python's recursion limit for `include`,
- `MEMORY_BYTES` of growth in the process's peak memory while rendering (where the platform says),
- `MAX_TEMPLATE_BYTES` (1 MB) of template source, since compiling a template is not under the clock.

`range` is capped by Jinja's sandbox at 100,000 items and `lipsum` is removed. A breach raises
`LimitExceeded`, whose message names the template and the limit; once a template has breached a
limit, later renders of it fail at once with the same message instead of spending the time again.
Template files are read through `storyc.base.paths`: a symlink leading outside the project, a FIFO or a
file over 64 MB is refused, with the path as written and where it leads.
"""

from __future__ import annotations

import os
import re
import sys
import time
from types import FrameType
from typing import Any, Callable, Union

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..base.paths import FileProblem, outside, read_bytes

WALL_SECONDS = 2.0
MAX_OUTPUT = 1_000_000
MAX_ITEMS = 100_000
MAX_NUMBER = 100_000
MAX_DEPTH = 64
MEMORY_BYTES = 512 * 1024 * 1024
MAX_TEMPLATE_BYTES = 1024 * 1024  # a template's source; compiling a huge one is not under the clock

_CHECK_EVERY = 4  # line events between clock and memory checks
_WIDE_PERCENT = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\*|\d{6,})")  # `%1000000s`, `%*s`
_WIDE_FIELD = re.compile(r"\{[^{}]*:[^{}]*\d{6,}[^{}]*\}")  # `{:>1000000}`
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")


class LimitExceeded(Exception):
    """A template broke one of the limits above; the message names the template and the limit."""


class Refused(Exception):
    """A template file that may not be read (outside the project, not a regular file, too large).

    Not a `TemplateNotFound`: the built-in template must not stand in silently for a refused one.
    """


class ProjectLoader(jinja2.BaseLoader):
    """Templates from `<root>/templates/`, each checked to lie inside `root` once symlinks are followed."""

    def __init__(self, folder: str, root: str) -> None:
        self.folder = folder
        self.root = root

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        from jinja2.loaders import split_template_path

        path = os.path.join(self.folder, *split_template_path(template))
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        written = os.path.relpath(path)
        leads = outside(path, self.root)
        if leads is not None:
            raise Refused(f"template `{template}` is refused: `{written}` leads outside the project, to `{leads}`")
        try:
            data = read_bytes(path, limit=MAX_TEMPLATE_BYTES)
        except FileProblem as problem:
            raise Refused(f"template `{template}` is refused: cannot read `{written}`: {problem}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(f"template `{template}` is refused: `{written}` is not valid UTF-8") from None
        return text, path, lambda: True


class ProjectEnvironment(SandboxedEnvironment):
    """The sandbox with every call, operator and filter measured against the limits."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.depth = 0
        self.breached: dict[str, str] = {}
        self.refused: dict[str, str] = {}
        self.globals.pop("lipsum", None)
        self.globals["namespace"] = _Namespace
        self.filters = {name: bounded(function) for name, function in self.filters.items()}

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if not getattr(obj, "storyc_format", False):  # str.format is checked by wrap_str_format
            _check_arguments(obj, args, kwargs)
        if self.depth >= MAX_DEPTH:
            raise LimitExceeded(f"calls nest deeper than {MAX_DEPTH} levels")
        self.depth += 1
        try:
            result = super().call(context, obj, *args, **kwargs)
        finally:
            self.depth -= 1
        _check_size(result)
        _check_size(getattr(obj, "__self__", None))  # `do items.extend(items)` grows its list
        return result

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sized, count in ((left, right), (right, left)):
                if isinstance(sized, (str, list, tuple)) and isinstance(count, int) and len(sized) * count > MAX_OUTPUT:
                    raise LimitExceeded(f"`*` would build {len(sized) * count:,} items; the limit is {MAX_OUTPUT:,}")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > MAX_NUMBER // 64:
                raise LimitExceeded(f"`**` with an exponent of {right:,} is over the limit")
        elif operator == "%" and isinstance(left, str) and _WIDE_PERCENT.search(left):
            raise LimitExceeded(f"a `%` format wider than {MAX_NUMBER:,} is over the limit")
        result = super().call_binop(context, operator, left, right)
        _check_size(result)
        return result

    def wrap_str_format(self, value: Any) -> Union[Callable[..., str], None]:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = str(value.__self__)
        nested = _NESTED_FIELD.search(text) is not None  # `{:>{}}` takes its width from an argument

        def checked(*args: Any, **kwargs: Any) -> str:
            values = [*args, *kwargs.values(), *(v for a in args if isinstance(a, dict) for v in a.values())]
            if _WIDE_FIELD.search(text) or nested and any(_too_big(v) for v in values):
                raise LimitExceeded(f"a format wider than {MAX_NUMBER:,} is over the limit")
            result = wrapped(*args, **kwargs)
            _check_size(result)
            return result

        checked.storyc_format = True  # type: ignore[attr-defined]
        return checked


class _Namespace(jinja2.utils.Namespace):
    """`namespace()` whose attributes are held to the size limits as they are set."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_size(value)
        super().__setitem__(name, value)


def environment(folder: str, root: str, builtin: str) -> ProjectEnvironment:
    """The sandboxed environment for a project whose templates are in `folder` under `root`."""
    return ProjectEnvironment(
        loader=jinja2.ChoiceLoader([ProjectLoader(folder, root), jinja2.FileSystemLoader(builtin)]),
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )


def render(environment: ProjectEnvironment, name: str, context: dict[str, Any]) -> str:
    """Render `name` within the limits; LimitExceeded (naming the template and limit) on a breach."""
    if name in environment.breached:
        raise LimitExceeded(environment.breached[name])
    if name in environment.refused:
        raise Refused(environment.refused[name])
    try:
        template = environment.get_template(name)
    except Refused as refused:  # every later clip would read the file again to refuse it again
        environment.refused[name] = str(refused)
        raise
    watch = _Watch(environment)
    previous = sys.gettrace()
    sys.settrace(watch.enter)
    try:
        parts: list[str] = []
        size = 0
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_OUTPUT:
                raise LimitExceeded(f"the output passed {MAX_OUTPUT:,} characters")
            parts.append(part)
        return "".join(parts)
    except LimitExceeded as breach:
        message = f"template `{name}` broke a limit: {breach}"
        environment.breached[name] = message
        raise LimitExceeded(message) from None
    except RecursionError:
        message = f"template `{name}` broke a limit: it recursed deeper than {sys.getrecursionlimit()} frames"
        environment.breached[name] = message
        raise LimitExceeded(message) from None
    except MemoryError:
        message = f"template `{name}` broke a limit: it ran out of memory"
        environment.breached[name] = message
        raise LimitExceeded(message) from None
    finally:
        sys.settrace(previous)
        environment.depth = 0


class _Watch:
    """A trace function that runs only in template code, checking the clock and peak memory."""

    def __init__(self, environment: ProjectEnvironment) -> None:
        self.environment = environment
        self.deadline = time.monotonic() + WALL_SECONDS
        self.events = 0
        self.peak = _peak_memory()

    def enter(self, frame: FrameType, event: str, arg: Any) -> Union[Callable[..., Any], None]:
        if frame.f_globals.get("environment") is self.environment:
            return self.line
        return None

    def line(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        self.events += 1
        if self.events % _CHECK_EVERY == 0:
            if time.monotonic() > self.deadline:
                raise LimitExceeded(f"rendering took longer than {WALL_SECONDS:g}s")
            if self.peak is not None and (_peak_memory() or 0) - self.peak > MEMORY_BYTES:
                raise LimitExceeded(f"rendering used more than {MEMORY_BYTES // (1024 * 1024)} MB")
        return self.line


def _peak_memory() -> Union[int, None]:
    try:
        import resource
    except ImportError:  # not on Windows: the clock and size limits still hold
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def bounded(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose number arguments (not the value filtered) and result are held to the limits."""
    skip = 2 if hasattr(function, "jinja_pass_arg") else 1  # the environment or context, then the value

    def limited(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(function, args[skip:], kwargs)
        result = function(*args, **kwargs)
        _check_size(result)
        return result

    for attribute in ("jinja_pass_arg", "__name__", "__doc__"):
        if hasattr(function, attribute):
            setattr(limited, attribute, getattr(function, attribute))
    return limited


def _check_arguments(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if isinstance(function, jinja2.Undefined):
        return  # calling it fails anyway, with the clearer message
    for value in (*args, *kwargs.values()):
        if _too_big(value):
            name = str(getattr(function, "__name__", "a call")).removeprefix("do_").removeprefix("safe_")
            raise LimitExceeded(f"`{name}` was given {value:,}; numbers passed to calls are limited to {MAX_NUMBER:,}")


def _too_big(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER


def _check_size(value: Any) -> None:
    if isinstance(value, str) and len(value) > MAX_OUTPUT:
        raise LimitExceeded(f"a string of {len(value):,} characters was built; the limit is {MAX_OUTPUT:,}")
    if isinstance(value, (list, dict, set, tuple)) and len(value) > MAX_ITEMS:
        raise LimitExceeded(f"a collection of {len(value):,} items was built; the limit is {MAX_ITEMS:,}")
