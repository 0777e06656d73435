"""The request-body schemas are checked at run time by storyc.compile.schema; here jsonschema, the reference
implementation, holds it to the same verdicts on real bodies and on bodies broken every which way."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyc.cli.common import storyboard_files
from storyc.compile import schema
from storyc.compile.emit import compile_plan, schema_path
from storyc.compile.media import body_kind
from storyc.compile.plan import plan
from storyc.language.load import load

ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = ["new", "legacy", "media", "flat"]  # media, flat: bodies with media inputs (compile/media.py)
GUIDE = sorted((Path(__file__).parent / "fixtures" / "guide").glob("*.json"))


def reference_paths(body: Any, protocol: str) -> set[tuple[Any, ...]]:
    validator = jsonschema.Draft202012Validator(json.loads(Path(schema_path(protocol)).read_text(encoding="utf-8")))
    return {tuple(error.absolute_path) for error in validator.iter_errors(body)}


def our_paths(body: Any, protocol: str) -> set[tuple[Any, ...]]:
    return {path for path, _ in schema.errors(body, schema.load(schema_path(protocol)))}


def _bodies() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for story in storyboard_files([str(ROOT / "storyboards")]):  # not `.story/`, a render's journal
        planned = plan(load(str(story)))
        if planned is not None:
            found += [(body_kind(planned.profile), clip.body) for clip in compile_plan(planned).clips]
    for story in sorted((Path(__file__).parent / "fixtures" / "media-inputs" / "reference").glob("*.story")):
        planned = plan(load(str(story)))
        assert planned is not None
        found += [(body_kind(planned.profile), clip.body) for clip in compile_plan(planned).clips]
    for fixture in GUIDE:
        body = json.loads(fixture.read_text(encoding="utf-8"))["body"]
        found.append(("legacy" if "size" in body["parameters"] else "new", body))
    return found


BODIES = _bodies()

values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 3_000_000_000), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "x", "720P", "1080P", "16:9", "1280*720", "single", "multi", "file://a.mp3", "ftp://a",
                     "長" * 1600]),
    st.builds(dict), st.builds(list), st.just(1.0), st.just(15.0),
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    protocol, body = draw(st.sampled_from(BODIES))
    body = copy.deepcopy(body)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from([(), ("input",), ("parameters",), ("input", "media", 0), ("input", "reference_urls")]))
        target: Any = body
        for key in where:
            if isinstance(target, list) and isinstance(key, int):
                target = target[key] if key < len(target) else None
            else:
                target = target.get(key) if isinstance(target, dict) else None
        if isinstance(target, list):
            target.append(draw(values)) if draw(st.booleans()) else target.clear()
            continue
        if not isinstance(target, dict):
            continue
        action = draw(st.sampled_from(["set", "drop", "add"]))
        keys = sorted(target) or ["x"]
        if action == "drop" and target:
            target.pop(draw(st.sampled_from(keys)))
        elif action == "add":
            target[draw(st.sampled_from(["extra", "size", "ratio", "shot_type", "audio_url", "seed", "media",
                                         "reference_voice", "img_url"]))] = draw(values)
        else:
            target[draw(st.sampled_from(keys))] = draw(values)
    if draw(st.integers(0, 20)) == 0:
        body = draw(values)
    return protocol, body


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_schemas_use_only_what_schema_py_reads(protocol: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema.load(schema_path(protocol)))


def test_every_real_body_is_valid_for_both() -> None:
    for protocol, body in BODIES:
        assert our_paths(body, protocol) == reference_paths(body, protocol) == set()


@settings(max_examples=400)
@given(case=mutated())
def test_both_validators_fail_a_broken_body_at_the_same_places(case: tuple[str, Any]) -> None:
    protocol, body = case
    assert our_paths(body, protocol) == reference_paths(body, protocol)


def test_an_unknown_keyword_is_refused() -> None:
    with pytest.raises(schema.SchemaError, match="oneOf"):
        schema.check_schema({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}})
