"""The models that take pictures, voices and clips, as data: each profile states what wan-media-api.md says
(§3.2, §4.2, §6.2, §7, §9-§11), and `story models` shows it."""

from __future__ import annotations

import pytest

from storyc.cli import main
from storyc.models.profile import Profile, builtin, catalog
from storyc.models.table import as_markdown, as_table, inputs_cell

MEDIA_MODELS = sorted(model for model, profile in builtin().items() if profile.media is not None)


def allowed(profile: Profile, roles: dict[str, int]) -> bool:
    """Whether one of the profile's modes takes a request sending `roles` (role -> count)."""
    media = profile.media
    assert media is not None
    for mode in media["modes"]:
        if set(roles) - set(mode["roles"]):
            continue
        if not all(low <= roles.get(role, 0) <= high for role, (low, high) in mode["roles"].items()):
            continue
        references = mode.get("references")
        if references:
            count = sum(roles.get(role, 0) for role in references["roles"])
            if count < references["min"] or count > references.get("max", count):
                continue
        return True
    return False


# Each row: model, the roles sent, allowed by the reference? (section quoted beside it)
COMBINATIONS = [
    # wan2.7-i2v §3.2: the six listed combinations, each type at most once; nothing else
    ("wan2.7-i2v", {"first_frame": 1}, True),
    ("wan2.7-i2v", {"first_frame": 1, "driving_audio": 1}, True),
    ("wan2.7-i2v", {"first_frame": 1, "last_frame": 1}, True),
    ("wan2.7-i2v", {"first_frame": 1, "last_frame": 1, "driving_audio": 1}, True),
    ("wan2.7-i2v", {"first_clip": 1}, True),
    ("wan2.7-i2v", {"first_clip": 1, "last_frame": 1}, True),
    ("wan2.7-i2v", {"last_frame": 1}, False),
    ("wan2.7-i2v", {"first_clip": 1, "first_frame": 1}, False),
    ("wan2.7-i2v", {"first_clip": 1, "driving_audio": 1}, False),
    ("wan2.7-i2v", {"first_frame": 2}, False),
    ("wan2.7-i2v", {"first_frame": 1, "reference_image": 1}, False),
    ("wan2.7-i2v", {}, False),
    # wan2.7-r2v §4.2: ≤ 1 first frame; reference images + videos in [1, 5]
    ("wan2.7-r2v", {"reference_image": 1}, True),
    ("wan2.7-r2v", {"reference_image": 3, "reference_video": 2, "first_frame": 1}, True),
    ("wan2.7-r2v", {"reference_video": 5}, True),
    ("wan2.7-r2v", {"reference_image": 4, "reference_video": 2}, False),
    ("wan2.7-r2v", {"first_frame": 1}, False),
    ("wan2.7-r2v", {"first_frame": 2, "reference_image": 1}, False),
    ("wan2.7-r2v", {"last_frame": 1, "reference_image": 1}, False),
    # Wan 3.0 §6.2: text alone; frames alone; references freely, never with frames
    ("wan3.0-video", {}, True),
    ("wan3.0-video", {"first_frame": 1}, True),
    ("wan3.0-video", {"first_frame": 1, "last_frame": 1}, True),
    ("wan3.0-video", {"last_frame": 1}, False),
    ("wan3.0-video", {"first_frame": 1, "reference_image": 1}, False),
    ("wan3.0-video", {"first_frame": 1, "reference_audio": 1}, False),
    ("wan3.0-video", {"reference_image": 10, "reference_video": 5, "reference_audio": 5}, True),
    ("wan3.0-video", {"reference_image": 11}, False),
    ("wan3.0-video", {"reference_video": 6}, False),
    ("wan3.0-video-prime", {"first_frame": 1, "last_frame": 1}, True),
    # legacy §7.1-§7.3
    ("wan2.6-i2v", {"first_frame": 1, "driving_audio": 1}, True),
    ("wan2.6-i2v", {"driving_audio": 1}, False),
    ("wan2.2-i2v-flash", {"first_frame": 1, "driving_audio": 1}, False),
    ("wan2.2-kf2v-flash", {"first_frame": 1, "last_frame": 1}, True),
    ("wan2.2-kf2v-flash", {"first_frame": 1}, True),
    ("wan2.2-kf2v-flash", {"last_frame": 1}, False),
    ("wan2.6-r2v", {"reference_image": 2, "reference_video": 3}, True),
    ("wan2.6-r2v", {"reference_video": 4}, False),
    ("wan2.6-r2v", {"reference_image": 5, "reference_video": 1}, False),
]


@pytest.mark.parametrize(("model", "roles", "expected"), COMBINATIONS)
def test_combination_tables_match_the_reference(model: str, roles: dict[str, int], expected: bool) -> None:
    assert allowed(builtin()[model], roles) is expected


def test_wire_and_path_per_protocol() -> None:
    profiles = builtin()
    assert {m for m in MEDIA_MODELS if profiles[m].media["path"] == "image2video/video-synthesis"} == {  # type: ignore[index]
        "wan2.2-kf2v-flash", "wanx2.1-kf2v-plus"}
    new = {m for m in MEDIA_MODELS if profiles[m].media["wire"] == "array"}  # type: ignore[index]
    assert new == {m for m in MEDIA_MODELS if m.startswith(("wan2.7", "wan3.0"))}
    # legacy fields (§7): img_url + audio_url, first_frame_url + last_frame_url, reference_urls
    assert profiles["wan2.6-i2v"].media["roles"]["driving_audio"]["field"] == "audio_url"  # type: ignore[index]
    assert profiles["wanx2.1-kf2v-plus"].media["roles"]["last_frame"]["field"] == "last_frame_url"  # type: ignore[index]
    assert profiles["wan2.6-r2v"].media["labels"] == "character"  # type: ignore[index]
    assert profiles["wan2.7-r2v"].media["labels"] == profiles["wan3.0-video"].media["labels"] == "per-type"  # type: ignore[index]
    # legacy image-to-video names a resolution tier; wan2.6-r2v an exact size (§7.1, §7.3)
    assert profiles["wan2.6-i2v"].sends_resolution() and not profiles["wan2.6-r2v"].sends_resolution()


def test_durations_ratio_and_billing_rules() -> None:
    profiles = builtin()
    r2v = profiles["wan2.7-r2v"].media["modes"][0]  # type: ignore[index]
    assert r2v["duration_with_video"] == {"min": 2, "max": 10} and profiles["wan2.7-r2v"].longest == 15  # §4.1
    assert r2v["ratio"] == "ignored-with-first-frame"  # §4.1
    assert {mode["ratio"] for mode in profiles["wan2.7-i2v"].media["modes"]} == {"follows-input"}  # type: ignore[index]
    continuation = profiles["wan2.7-i2v"].media["modes"][2]  # type: ignore[index]
    assert continuation["duration_includes_input"] is True  # §3.4
    assert profiles["wan3.0-video"].longest == 30 and profiles["wan3.0-video"].media["modes"][3]["video_plus_output_max"] == 30  # type: ignore[index]
    assert profiles["wan2.2-kf2v-flash"].describe_durations() == "always 5s"  # §7.2
    assert profiles["wan2.7-r2v"].media["billing"]["cap_divisor"] == "reference_videos"  # type: ignore[index]
    assert profiles["wan2.6-r2v"].media["billing"]["cap_divisor"] == "references"  # type: ignore[index]
    assert profiles["wan3.0-video"].media["billing"]["input_video"] == "none"  # type: ignore[index]


def test_prices_from_secondary_sources_say_so_and_unknown_stays_unknown() -> None:
    profiles = builtin()
    for model in ("wan2.7-i2v", "wan2.7-r2v", "wan3.0-video", "wan3.0-video-prime"):
        for row in profiles[model].data["pricing"].values():
            assert row["secondary"] is True and row["source"].startswith("secondary")
    assert profiles["wan3.0-video"].data["pricing"]["singapore"]["currency"] == "USD"
    assert "singapore" not in profiles["wan3.0-video-prime"].data["pricing"]  # not found: unknown, not zero
    assert profiles["wan2.6-i2v-flash"].data["pricing"] == {}
    table = as_table(catalog(), "singapore", wide=True)
    assert "USD 0.05 (480P), 0.1 (720P), 0.2 (1080P) (secondary source)" in table
    line = next(row for row in table.splitlines() if row.startswith("wan3.0-video-prime "))
    assert line.rstrip().endswith("unknown")


def test_story_models_shows_media_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--wide"]) == 0
    out = capsys.readouterr().out
    assert "text | first_frame | first_frame+last_frame | reference_image≤10?" in out
    assert inputs_cell(builtin()["wan2.7-t2v"]) == "text"
    markdown = as_markdown(catalog())
    assert "## Media inputs" in markdown
    assert "| wan2.2-kf2v-flash | flat | `image2video/video-synthesis` |" in markdown
    assert "| wan2.7-r2v | reference_voice | audio | wav, mp3 | — | 1-10 | 15 |" in markdown


@pytest.mark.parametrize("model", MEDIA_MODELS)
def test_family_and_snapshot(model: str) -> None:
    profile = builtin()[model]
    assert model.startswith(profile.family + "-")
    assert profile.dated == model.endswith(("-2026-04-25", "-2026-06-12"))
