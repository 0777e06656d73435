"""Hypothesis strategies that write storyboards: valid ones, and mutations of them."""

from __future__ import annotations

from hypothesis import strategies as st

NAMES = ["fox", "owl", "mei", "the_thief", "old-vendor", "x", "獵豹", "草原2", "雨夜_紐約", "偵探"]
FRAMINGS = ["wide", "close-up", "medium", "全景", "特寫", "extreme-wide", "pov"]
CJK = "獵豹羚羊草原雨夜紐約偵探鏡頭推進光影花園機器人"
PUNCTUATION = ",。：，、！？「」()'\"-…:;"
COLONS = [":", "：", ": ", " : ", "：  "]

prose_start = st.sampled_from(list(CJK) + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
prose_body = st.text(
    alphabet=st.sampled_from(list(CJK + PUNCTUATION + "abcdefghij klmnop 0123456789 ")),
    max_size=40,
)


@st.composite
def prose(draw: st.DrawFn) -> str:
    """Free text: never begins with a keyword, never holds `#`, may hold `@name` references."""
    text = draw(prose_start) + draw(prose_body)
    if draw(st.booleans()):
        text += f" @{draw(st.sampled_from(NAMES))} " + draw(prose_body)
    if draw(st.integers(0, 3)) == 0:  # a reference that runs on into Chinese prose: `@獵豹追著`
        text += f" @{draw(st.sampled_from(NAMES))}" + draw(st.sampled_from(["追著", "的影子", "，", "。"]))
    return text.rstrip() or "x"


def seconds(draw: st.DrawFn) -> str:
    value = draw(st.integers(1, 15))
    return f"{value}.5" if draw(st.integers(0, 5)) == 0 else str(value)


@st.composite
def comment(draw: st.DrawFn) -> str:
    return "#" + draw(st.text(alphabet=st.sampled_from(list(CJK + "abc #!@: ")), max_size=20))


@st.composite
def line(draw: st.DrawFn, indent: str, kinds: list[str]) -> list[str]:
    kind = draw(st.sampled_from(kinds))
    colon = draw(st.sampled_from(COLONS))
    if kind == "prose":
        text = draw(prose())
    elif kind == "camera":
        text = f"camera{colon}{draw(prose())}"
    elif kind == "cue":
        text = f"{draw(st.sampled_from(['sfx', 'music', 'ambience']))}{colon}{draw(prose())}"
    elif kind == "dialogue":
        text = f"{draw(st.sampled_from(['say', 'voiceover']))} {draw(st.sampled_from(NAMES))}{colon}{draw(prose())}"
    else:
        text = f"soundtrack{colon}audio/{draw(st.sampled_from(['a.mp3', 'b.wav']))}"
    out = [indent + text]
    if draw(st.integers(0, 4)) == 0:
        out[0] += "  " + draw(comment())
    if draw(st.integers(0, 6)) == 0:
        out.insert(0, indent + draw(comment()))
    if draw(st.integers(0, 6)) == 0:
        out.insert(0, "")
    return out


@st.composite
def shot(draw: st.DrawFn, indent: str, step: str) -> list[str]:
    if draw(st.booleans()):
        start = draw(st.integers(0, 10))
        timing = f"[{start}-{start + draw(st.integers(1, 5))}s]"
    else:
        timing = seconds(draw) + draw(st.sampled_from(["s", "秒"]))
    header = f"{indent}shot {timing}"
    if draw(st.booleans()):
        header += " " + draw(st.sampled_from(FRAMINGS))
    if draw(st.integers(0, 3)) == 0:
        header += draw(st.sampled_from(COLONS)) + draw(prose())
    lines = [header]
    for _ in range(draw(st.integers(0, 3))):
        lines += draw(line(indent + step, ["prose", "camera", "cue", "dialogue"]))
    return lines


@st.composite
def clip(draw: st.DrawFn, step: str) -> list[str]:
    kind = draw(st.sampled_from(["clip", "scene"]))
    header = f"{kind} {draw(st.sampled_from(['chase', 'a', 'opening-2', 'end_scene']))}"
    if kind == "clip" and draw(st.booleans()):
        header += f" {seconds(draw)}s"
    lines = [header]
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            lines += draw(shot(step, step))
        else:
            lines += draw(line(step, ["prose", "camera", "cue", "dialogue", "soundtrack"]))
    return lines


SETTINGS = {
    "storyboard": ['"草原追逐"', "The Lantern Thief"], "model": ["wan2.7-t2v", "wan2.6-t2v"],
    "resolution": ["720P", "1080p"], "ratio": ["16:9", "4:3"], "size": ["1280*720"],
    "language": ["zh", "en"], "seed": ["12345", "0"], "watermark": ["on", "off"],
    "prompt-extend": ["on", "off"], "negative": ["模糊", "blurry"], "region": ["singapore"],
}


@st.composite
def storyboard(draw: st.DrawFn) -> str:
    """A storyboard that parses: settings, declarations, includes and clips, in any order."""
    step = draw(st.sampled_from(["  ", "    ", "\t"]))
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(draw(comment()))
    for _ in range(draw(st.integers(0, 8))):
        choice = draw(st.integers(0, 5))
        colon = draw(st.sampled_from(COLONS))
        if choice == 0:
            key = draw(st.sampled_from(sorted(SETTINGS)))
            separator = draw(st.sampled_from([" ", "  ", ": ", "："]))
            lines.append(f"{key}{separator}{draw(st.sampled_from(SETTINGS[key]))}")
        elif choice == 1:
            lines.append(f"style{colon}{draw(prose())}")
        elif choice == 2:
            kind = draw(st.sampled_from(["cast", "place", "style"]))
            lines.append(f"{kind} {draw(st.sampled_from(NAMES))}{colon}{draw(prose())}")
        elif choice == 3:
            lines.append('include "shared/cast.story"')
        else:
            lines += draw(clip(step))
        if draw(st.integers(0, 4)) == 0:
            lines.append("")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    ending = newline if draw(st.integers(0, 5)) else ""
    return newline.join(lines) + ending


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A storyboard with bytes inserted, deleted or replaced: any input at all, near valid ones."""
    data = bytearray(draw(storyboard()).encode("utf-8"))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.integers(0, 2))
        chunk = draw(st.sampled_from([
            b"\x00", b"\xff", b"\xef\xbb\xbf", b"\r", b"\n", b"\t", b"  ", b"#", b"@", b":", b"[",
            b"shot ", b"clip ", b"    ", "：".encode(), "全景".encode(), b"3s", b"[0-", b"\xe5\x85",
        ]))
        if action == 0:
            data[position:position] = chunk
        elif action == 1:
            del data[position : position + draw(st.integers(1, 8))]
        else:
            data[position : position + len(chunk)] = chunk
    return bytes(data)
