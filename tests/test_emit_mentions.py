"""How a declared name reads in the compiled prompt, in every language (issue 21).

Properties over generated storyboards: a declared description appears at most once per clip; no
description is followed by a particle or possessive that belonged to the name; every mentioned
declaration is found back in the prompt by its label; and the prompt never exceeds the model's limit
when `story check` says it fits. The examples after them pin the forms a reader sees.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from storyc.base.diagnostics import has_errors
from storyc.compile.diagnose import diagnosed_plan
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
AFTER = ["的尾巴", "說:走吧", "裡很安靜", "说", "們", "'s tail", "’s hat", " 走進來", "追著", " runs", ",", "。", " and", ""]
BELONGING = ("的", "說", "说", "們", "裡", "'s", "’s")  # of the above, what belongs to the name before it
MODELS = {"wan2.7-t2v": [5, 10, 15], "wan2.6-t2v": [5, 10, 15], "wan2.2-t2v-plus": [5]}
FILLER = st.text(alphabet=st.sampled_from(list("雨夜紅色風衣長髮,， a-coat,")), max_size=60)  # no particle: those in AFTER belong to the name
LONG_FILLER = st.one_of(FILLER, st.text(alphabet=st.sampled_from(list("雨夜紅色風衣長髮,， a-coat,")),
                                         min_size=120, max_size=320))  # a few reach 800 characters


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
        description = marker(index) + draw(LONG_FILLER).strip() + draw(st.sampled_from(["", "。", ".", ",很安靜"]))
        lines.append(f"{kind} {name}" + (f' "{label}"' if label else "") + f": {description}")
        written = label or name[:1].upper() + name[1:]  # unlabelled: the name, read as a proper name
        declared[name] = (kind, written, description)
    cast = [name for name in declared if declared[name][0] == "cast"]
    mentions: list[set[str]] = []
    for number in range(draw(st.integers(1, 3))):
        length = draw(st.sampled_from(MODELS[model]))
        lines.append(f"clip c{number} {length}s")
        mentioned: set[str] = set()

        def line(indent: str, mentioned: set[str] = mentioned) -> str:
            names = draw(st.lists(st.sampled_from(sorted(declared)), min_size=0, max_size=3))
            mentioned.update(names)
            text = "雨夜" if language != "en" else "Rain"
            for name in names:
                text += f" @{name}{draw(st.sampled_from(AFTER))} {draw(FILLER).strip()}"
            return indent + text.rstrip(" ,，")

        body = [line("  ") for _ in range(draw(st.integers(1, 2)))]
        if cast and draw(st.booleans()):
            speaker = draw(st.sampled_from(cast))
            mentioned.add(speaker)
            body.append(f"  {draw(st.sampled_from(['say', 'voiceover']))} {speaker}: 好。")
        if model != "wan2.2-t2v-plus" and draw(st.booleans()):
            body += [f"  shot {length - 3}s 近景", line("    "), "  shot 3s", line("    ")]
        lines += body
        mentions.append(mentioned)
    return "\n".join(lines) + "\n", language, declared, mentions


def _compiled(tmp_path: Path, text: str) -> tuple[list[str], list[int], bool]:
    """The prompts of a storyboard that checks clean, the limits of their models, and whether it did."""
    path = tmp_path / "generated.story"
    path.write_text(text, encoding="utf-8")
    found, planned = diagnosed_plan(load(str(path)), catalog())  # all that `story check` reports
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
    target(max(len(prompt) / limit for prompt, limit in zip(prompts, limits, strict=True)))  # seek ones just fitting
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


def test_story_fmt_writes_a_label_one_way_and_keeps_comments(tmp_path: Path) -> None:
    from storyc.cli import main

    path = tmp_path / "a.story"
    path.write_text('language zh\ncast   mei   "阿梅"  ：一位女孩  # 主角\n\nclip a 5s\n  @mei 走進來\n', encoding="utf-8")
    assert main(["fmt", str(path)]) == 0
    once = path.read_text(encoding="utf-8")
    assert once == 'language zh\ncast mei "阿梅": 一位女孩  # 主角\n\nclip a 5s\n  @mei 走進來\n'
    assert main(["fmt", "--check", str(path)]) == 0
    assert _prompts(tmp_path, once) == ["阿梅(一位女孩)走進來。"]


def test_a_label_that_is_empty_or_unclosed_is_a_syntax_error_with_its_place(tmp_path: Path,
                                                                            capsys: object) -> None:
    from storyc.cli import main

    for text, column in (('cast mei "": a girl\n', 10), ('cast mei "阿梅: a girl\n', 10)):
        path = tmp_path / "a.story"
        path.write_text(text, encoding="utf-8")
        assert main(["check", str(path)]) == 1
        err = capsys.readouterr()  # type: ignore[attr-defined]
        output = err.out + err.err
        assert f"a.story:1:{column}" in output and "SB101" in output and "Traceback" not in output, output
