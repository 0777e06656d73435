"""Model profiles: the built-in ones are valid and current; a new model is one YAML file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from storyc.check.rules import check
from storyc.cli import main
from storyc.language.load import load
from storyc.models.profile import (
    PROFILES,
    SCHEMA,
    ProfileError,
    builtin,
    catalog,
    compile_builtin,
    load_folder,
)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_MODELS = {
    "wan2.7-t2v", "wan2.7-t2v-2026-06-12", "wan2.7-t2v-2026-04-25", "wan2.6-t2v", "wan2.6-t2v-us",
    "wan2.5-t2v-preview", "wan2.2-t2v-plus", "wanx2.1-t2v-turbo", "wanx2.1-t2v-plus",
    # media inputs (wan-media-api.md §1)
    "wan2.7-i2v", "wan2.7-i2v-2026-04-25", "wan2.7-r2v", "wan2.7-r2v-2026-06-12", "wan3.0-video", "wan3.0-video-prime",
    "wan2.6-i2v", "wan2.6-i2v-flash", "wan2.6-i2v-us", "wan2.5-i2v-preview", "wan2.2-i2v-flash", "wan2.2-i2v-plus",
    "wanx2.1-i2v-turbo", "wanx2.1-i2v-plus", "wan2.2-kf2v-flash", "wanx2.1-kf2v-plus", "wan2.6-r2v", "wan2.6-r2v-flash",
}


def test_builtin_json_is_current() -> None:
    with open(os.path.join(PROFILES, "_builtin.json"), encoding="utf-8") as handle:
        assert handle.read() == compile_builtin(), "run: python -m storyc.models.profile build"


def test_every_builtin_profile_passes_the_schema() -> None:
    with open(SCHEMA, encoding="utf-8") as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle))
    for profile in builtin().values():
        assert not list(validator.iter_errors(profile.data)), profile.id


def test_every_reference_model_has_a_profile() -> None:
    assert set(builtin()) == REFERENCE_MODELS
    assert catalog().get("wan2.1-t2v-turbo").id == "wanx2.1-t2v-turbo"  # type: ignore[union-attr]


@pytest.mark.parametrize("model", sorted(REFERENCE_MODELS))
def test_profile_is_consistent(model: str) -> None:
    profile = builtin()[model]
    resolution = profile.resolution
    assert resolution["default_tier"] in resolution["tiers"]
    assert set(resolution["pixels"]) == set(resolution["tiers"])
    assert profile.accepts_duration(profile.duration["default"])
    assert set(profile.data["pricing"]) <= set(profile.data["regions"])
    for row in profile.data["pricing"].values():
        assert set(row["tiers"]) == set(resolution["tiers"])


NEW_MODEL = """\
id: wan9-t2v
title: A model that does not exist
extends: wan2.6-t2v
duration: {min: 2, max: 30, default: 5}
"""


def test_a_new_model_is_one_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "wan9.yaml").write_text(NEW_MODEL, encoding="utf-8")
    story = tmp_path / "long.story"
    story.write_text("model wan9-t2v\nsize 1280*720\nclip a 25s\n  One long take\n", encoding="utf-8")
    profiles = catalog(str(tmp_path / "profiles"))
    assert check(load(str(story)), profiles) == []
    assert [d.code for d in check(load(str(story)))] == ["SB315"]  # unknown without the folder


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: bad\ntitle: x\nprotocol: legacy\n", "bad.yaml: (top level): 'duration' is a required property"),
        (NEW_MODEL.replace("min: 2", "min: two"), "bad.yaml: duration.min: 'two' is not of type 'integer'"),
        (NEW_MODEL.replace("wan2.6-t2v", "wan1-t2v"), "bad.yaml: extends: unknown profile `wan1-t2v`"),
        ("id: [unclosed", "bad.yaml: cannot read the profile"),
    ],
)
def test_malformed_profile_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as raised:
        load_folder(str(tmp_path))
    assert message in str(raised.value)


def test_cli_reports_a_malformed_profile_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\n", encoding="utf-8")
    assert main(["models", "--profiles", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "Traceback" not in err


def test_models_json_lists_every_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    assert {entry["id"] for entry in json.loads(capsys.readouterr().out)} == REFERENCE_MODELS


def test_models_doc_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    main(["models", "--markdown"])
    assert (ROOT / "docs" / "models.md").read_text(encoding="utf-8") == capsys.readouterr().out, (
        "docs/models.md is stale: story models --markdown > docs/models.md"
    )


def test_no_rule_names_a_model() -> None:
    """Limits come from profiles alone: rule modules never mention a model id."""
    for module in ("check/rules.py", "check/limits.py", "check/audio.py", "check/media.py"):
        source = (ROOT / "compiler" / "storyc" / module).read_text(encoding="utf-8")
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("#", '"')))
        for model in REFERENCE_MODELS | {"wan2.7", "wan2.6", "wan2.5", "wan2.2", "wan2.1"}:
            assert f'"{model}' not in code and f"'{model}" not in code, (module, model)


def test_profile_yaml_files_are_valid_yaml() -> None:
    for name in os.listdir(PROFILES):
        if name.endswith(".yaml"):
            with open(os.path.join(PROFILES, name), encoding="utf-8") as handle:
                assert isinstance(yaml.safe_load(handle), dict)


def test_profile_tool_check_mode() -> None:
    result = subprocess.run([sys.executable, "-m", "storyc.models.profile", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
