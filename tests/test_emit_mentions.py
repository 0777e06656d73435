"""How a declared name reads in the compiled prompt, in every language (issue 21).

Properties over generated storyboards: a declared description appears at most once per clip; no
description is followed by a particle or possessive that belonged to the name; every mentioned
declaration is found back in the prompt by its label; and the prompt never exceeds the model's limit
when `story check` says it fits. The examples after them pin the forms a reader sees.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyc.base.diagnostics import has_errors
from storyc.compile.diagnose import checked_plan
from storyc.compile.emit import compile_plan
from storyc.language.load import load
from storyc.models.profile import catalog

# (name, kind, a label that reads in Chinese, one that reads in English). No name is the start of another.
DECLARABLE = [
    ("fox", "cast", "狐狸", "the fox"), ("mei", "cast", "阿梅", "Mei"), ("貓", "cast", "小貓", "the cat"),
    ("阿婆", "cast", "阿婆", "Grandma"), ("office", "place", "辦公室", "the office"),
    ("茶館", "place", "茶館", "the teahouse"),
]
# What may follow a mention: particles and possessives (which belong to the name), verbs, punctuation.
AFTER = ["的尾巴", "說:走吧", "说", "們", "'s tail", "’s hat", " 走進來", "追著", " runs", ",", "。", " and", ""]
BELONGING = ("的", "說", "说", "們", "'s", "’s")  # of the above, what belongs to the name before it
MODELS = {"wan2.7-t2v": [5, 10, 15], "wan2.6-t2v": [5, 10, 15], "wan2.2-t2v-plus": [5]}
FILLER = st.text(alphabet=st.sampled_from(list("雨夜紅色的風衣長髮,， a-coat,")), max_size=60)


def marker(index: int) -> str:
    """A token that occurs in one description and nowhere else in the storyboard."""
    return f"Q{index}標記"


@st.composite
def storyboard(draw: st.DrawFn) -> tuple[str, str, dict[str, tuple[str, str, str]], list[set[str]]]:
    """Text, language, {name: (kind, label, description)}, and the names each clip mentions."""
    language = draw(st.sampled_from(["zh", "zh-Hans", "en"]))
    model = draw(st.sampled_from(sorted(MODELS)))
    chosen = draw(st.lists(st.sampled_from(DECLARABLE), min_size=1, max_size=5, unique=True))
    lines = [f"model {model}", f"language {language}", "prompt-extend on", "watermark off"]
    declared: dict[str, tuple[str, str, str]] = {}
    for index, (name, kind, chinese, english) in enumerate(chosen):
        label = draw(st.sampled_from([None, chinese if language != "en" else english]))
        description = marker(index) + draw(FILLER).strip() + draw(st.sampled_from(["", "。", ".", ",很安靜"]))
        lines.append(f"{kind} {name}" + (f' "{label}"' if label else "") + f": {description}")
        written = label or name[:1].upper() + name[1:]  # unlabelled: the name, read as a proper name
        declared[name] = (kind, written, description)
    cast = [name for name in declared if declared[name][0] == "cast"]
    mentions: list[set[str]] = []
    for number in range(draw(st.integers(1, 3))):
        lines.append(f"clip c{number} {draw(st.sampled_from(MODELS[model]))}s")
        mentioned: set[str] = set()

        def line(indent: str, mentioned: set[str] = mentioned) -> str:
            names = draw(st.lists(st.sampled_from(sorted(declared)), min_size=0, max_size=3))
            mentioned.update(names)
            text = "雨夜" if language != "en" else "Rain"
            for name in names:
                text += f" @{name}{draw(st.sampled_from(AFTER))} {draw(FILLER).strip()}"
            return indent + text.rstrip(" ,，")

        body = [line("  ") for _ in range(draw(st.integers(0, 2)))]
        if cast and draw(st.booleans()):
            speaker = draw(st.sampled_from(cast))
            mentioned.add(speaker)
            body.append(f"  {draw(st.sampled_from(['say', 'voiceover']))} {speaker}: 好。")
        if model != "wan2.2-t2v-plus" and draw(st.booleans()):
            body += ["  shot 2s 近景", line("    "), "  shot 3s", line("    ")]
        lines += body or ["  雨夜"]
        mentions.append(mentioned)
    return "\n".join(lines) + "\n", language, declared, mentions


def _compiled(tmp_path: Path, text: str) -> tuple[list[str], list[int], bool]:
    """The prompts of a storyboard that checks clean, the limits of their models, and whether it did."""
    path = tmp_path / "generated.story"
    path.write_text(text, encoding="utf-8")
    found, planned = checked_plan(load(str(path)), catalog())
    if has_errors(found) or planned is None:
        return [], [], False
    compiled = compile_plan(planned)
    assert not has_errors(compiled.diagnostics), compiled.diagnostics
    limits = [planned.profile_for(part).data["prompt_max_chars"] for part in planned.clips]
    return [clip.prompt for clip in compiled.clips], limits, True


def _inner(description: str) -> str:
    return description.rstrip("。.")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(storyboard())
def test_names_read_the_same_way_in_every_language(tmp_path: Path, case: tuple[str, str, dict[str, tuple[str, str, str]], list[set[str]]]) -> None:
    text, _, declared, mentions = case
    prompts, limits, clean = _compiled(tmp_path, text)
    if not clean:
        return
    assert len(prompts) == len(mentions)
    for prompt, limit, mentioned in zip(prompts, limits, mentions, strict=True):
        assert len(prompt) <= limit  # `check` said it fits
        for index, (name, (_, label, description)) in enumerate(declared.items()):
            assert prompt.count(marker(index)) <= (1 if name in mentioned else 0), (text, prompt)
            if name in mentioned:
                assert label in prompt, (text, prompt)
            for found in re.finditer(re.escape(_inner(description)), prompt):
                following = prompt[found.end():].lstrip(",， )）")
                assert not following.startswith(BELONGING), (text, prompt)


def test_a_storyboard_check_passes_never_compiles_past_the_limit(tmp_path: Path) -> None:
    """Near the limit: one description long enough that its second writing would not fit."""
    description = "一位滿頭銀髮的老婦人," * 60  # 660 characters
    text = (f"model wan2.2-t2v-plus\nlanguage zh\ncast 阿婆: {description}\n"
            "clip a 5s\n  @阿婆坐下,@阿婆的眼鏡滑落。\n  say 阿婆: 好。\n")
    prompts, limits, clean = _compiled(tmp_path, text)
    assert clean and len(prompts[0]) <= limits[0] == 800
    assert prompts[0].count(description[:-1]) == 1


def _prompts(tmp_path: Path, text: str) -> list[str]:
    prompts, _, clean = _compiled(tmp_path, text)
    assert clean
    return prompts


def test_the_issue_storyboard_reads_as_a_chinese_reader_would_write_it(tmp_path: Path) -> None:
    text = ("language zh\nmodel wan2.7-t2v\n"
            "cast 阿婆: 一位滿頭銀髮的老婦人,穿著深藍色碎花旗袍,戴著一副圓框眼鏡\n"
            "cast 貓: 一隻胖胖的橘貓,脖子上戴著鈴鐺\n"
            "cast narrator \"孫女\": 一位溫柔的年輕女聲\n"
            "clip a 10s\n  @貓的尾巴輕輕擺動\n  @阿婆 端起茶杯,@阿婆說要小心\n  say 阿婆: 慢慢喝,別燙著。\n"
            "  voiceover narrator: 那年夏天。\n")
    [prompt] = _prompts(tmp_path, text)
    assert prompt == (
        "貓是一隻胖胖的橘貓,脖子上戴著鈴鐺。貓的尾巴輕輕擺動。"
        "阿婆(一位滿頭銀髮的老婦人,穿著深藍色碎花旗袍,戴著一副圓框眼鏡)端起茶杯,阿婆說要小心。"
        "阿婆說:「慢慢喝,別燙著。」孫女是一位溫柔的年輕女聲。旁白(孫女):「那年夏天。」"
    )


def test_an_english_possessive_keeps_its_name(tmp_path: Path) -> None:
    text = "language en\ncast fox: a red fox, in a trench coat\nclip a 5s\n  @fox's tail twitches; @fox runs\n"
    [prompt] = _prompts(tmp_path, text)
    assert prompt == "Fox is a red fox, in a trench coat. Fox's tail twitches; Fox runs."


def test_simplified_chinese_labels_and_particles(tmp_path: Path) -> None:
    text = ("language zh-Hans\nmodel wan2.7-t2v\ncast dog \"小黑\": 一只黑色的小狗,耳朵耷拉着。\n"
            "clip a 5s\n  @dog 跑过来\n  @dog的尾巴摇个不停\n")
    [prompt] = _prompts(tmp_path, text)
    assert prompt == "小黑(一只黑色的小狗,耳朵耷拉着)跑过来。小黑的尾巴摇个不停。"


def test_every_clip_introduces_its_names_afresh(tmp_path: Path) -> None:
    text = "language en\ncast mei: a girl\nclip a 5s\n  @mei runs\n  @mei stops\nclip b 5s\n  @mei sits\n"
    assert _prompts(tmp_path, text) == ["Mei (a girl) runs. Mei stops.", "Mei (a girl) sits."]
