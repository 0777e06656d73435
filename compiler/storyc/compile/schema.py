"""A small JSON Schema validator for the request-body schemas in `schemas/`.

The schemas stay the contract, as data; this module reads the part of JSON Schema (draft 2020-12)
they use, so that compiling needs no jsonschema import (about 50-100 ms at start-up). A schema that
uses any other keyword is refused when loaded, and tests/test_body_schema.py checks, with jsonschema
itself, that both validators accept and reject the same bodies at the same places.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Iterator, Union

Path = tuple[Union[str, int], ...]

_ANNOTATIONS = {"$schema", "$id", "title", "description", "$comment"}
_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "enum", "const", "minimum", "maximum",
    "minLength", "maxLength", "pattern", "if", "then", "else", "items", "minItems", "maxItems",
} | _ANNOTATIONS


class SchemaError(Exception):
    """The schema uses a keyword this validator does not implement."""


def _is_type(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return kind == "number" or isinstance(value, int) or value.is_integer()


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def check_schema(schema: Any) -> None:
    """Refuse a schema that needs more than this module implements."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise SchemaError(f"a schema is an object or a boolean, not {type(schema).__name__}")
    unknown = set(schema) - _KEYWORDS
    if unknown:
        raise SchemaError(f"unsupported JSON Schema keywords: {', '.join(sorted(unknown))}")
    for sub in schema.get("properties", {}).values():
        check_schema(sub)
    for key in ("if", "then", "else", "additionalProperties", "items"):
        if key in schema:
            check_schema(schema[key])


def errors(value: Any, schema: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every place `value` breaks `schema`, as (path, message)."""
    if schema is True:
        return
    if schema is False:
        yield path, "no value is allowed here"
        return
    kind = schema.get("type")
    if kind is not None and not _is_type(value, kind):
        yield path, f"{json.dumps(value, ensure_ascii=False)} is not of type {kind!r}"
        return
    if "const" in schema and not _equal(value, schema["const"]):
        yield path, f"{json.dumps(schema['const'])} was expected"
    if "enum" in schema and not any(_equal(value, choice) for choice in schema["enum"]):
        yield path, f"{json.dumps(value, ensure_ascii=False)} is not one of {schema['enum']}"
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            yield path, f"{json.dumps(value, ensure_ascii=False)} is shorter than {schema['minLength']}"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield path, f"the value is longer than {schema['maxLength']} characters"
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            yield path, f"{json.dumps(value, ensure_ascii=False)} does not match {schema['pattern']!r}"
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            yield path, f"{value} is less than the minimum of {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield path, f"{value} is greater than the maximum of {schema['maximum']}"
    if isinstance(value, dict):
        yield from _object(value, schema, path)
    if isinstance(value, list):
        yield from _array(value, schema, path)
    if "if" in schema:
        branch = "then" if not any(True for _ in errors(value, schema["if"], path)) else "else"
        if branch in schema:
            yield from errors(value, schema[branch], path)


def _object(value: dict[str, Any], schema: dict[str, Any], path: Path) -> Iterator[tuple[Path, str]]:
    for name in schema.get("required", ()):
        if name not in value:
            yield path, f"{name!r} is a required property"
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            yield from errors(item, properties[name], (*path, name))
        elif extra is False:
            yield path, f"additional property {name!r} is not allowed"
        elif extra is not True:
            yield from errors(item, extra, (*path, name))


def _array(value: list[Any], schema: dict[str, Any], path: Path) -> Iterator[tuple[Path, str]]:
    if len(value) < schema.get("minItems", 0):
        yield path, f"the list has fewer than {schema['minItems']} items"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        yield path, f"the list has more than {schema['maxItems']} items"
    if "items" in schema:
        for index, item in enumerate(value):
            yield from errors(item, schema["items"], (*path, index))


@lru_cache(maxsize=8)
def load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    check_schema(schema)
    return schema
