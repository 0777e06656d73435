"""story preview in headless Chromium (Debian's `chromium`), with no network.

The test measures the laid-out page: a copy of the sheet gets a small script that writes each
block's box into the DOM (the sheet itself has no script, and its Content-Security-Policy would
refuse one), Chromium dumps the DOM, and the boxes are compared with the storyboard. A screenshot
is saved (and copied to $STORYC_ARTIFACTS when set) and checked for the clips' colours at the blocks' places.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_media import Project, make_project

from storyc.cli import main
from storyc.media.board import load_board
from storyc.media.preview import CLIP_COLOURS
from storyc.models.profile import catalog

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
REPOSITORY = Path(__file__).resolve().parent.parent
MEASURE = """<script>
for (const el of document.querySelectorAll('[data-shot],[data-clip]')) {
  const r = el.getBoundingClientRect();
  el.setAttribute('data-box', [r.left, r.top, r.width, r.height].join(','));
}
for (const v of document.querySelectorAll('video')) {
  v.addEventListener('loadedmetadata', () => v.setAttribute('data-duration', String(v.duration)));
  v.addEventListener('error', () => v.setAttribute('data-error', String(v.error && v.error.code)));
}
</script>"""


def chromium(tmp_path: Path, *arguments: str) -> str:
    profile = tmp_path / "chromium-profile"
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--disable-extensions", "--proxy-server=127.0.0.1:9", f"--user-data-dir={profile}",
         "--window-size=1400,1000", *arguments],
        capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class Elements(html.parser.HTMLParser):
    """Every element with a data-* attribute, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if any(name.startswith("data-") for name in values) or tag == "video":
            self.found.append((tag, values))


def laid_out(tmp_path: Path, sheet: Path) -> list[tuple[str, dict[str, str]]]:
    text = sheet.read_text(encoding="utf-8")
    # The measuring script is the test's, so the test's copy allows inline scripts; nothing else changes.
    assert "default-src 'none';" in text
    measured = sheet.with_name("measured.html")
    measured.write_text(text.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
                        .replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--virtual-time-budget=4000", "--dump-dom", measured.as_uri())
    parser = Elements()
    parser.feed(dom)
    return parser.found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("preview") / "project")


def test_preview_blocks_follow_the_storyboard_and_rendered_clips_play(project: Project, tmp_path: Path) -> None:
    sheet = project.story.parent / "out" / "preview.html"
    sheet.parent.mkdir(exist_ok=True)
    assert main(["preview", str(project.story), "-o", str(sheet)]) == 0
    elements = laid_out(tmp_path, sheet)
    shots = [values for tag, values in elements if "data-shot" in values]
    clips = [values for tag, values in elements if "data-clip" in values]
    board = project.board
    expected = [f"{clip.name}/{shot.number}" for clip in board.clips for shot in clip.shots]
    assert [values["data-shot"] for values in shots] == expected
    assert [values["data-clip"] for values in clips] == [clip.name for clip in board.clips]
    boxes = [[float(part) for part in values["data-box"].split(",")] for values in shots]
    millis = [shot.millis for clip in board.clips for shot in clip.shots]
    scale = boxes[0][2] / millis[0]
    for box, length, name in zip(boxes, millis, expected, strict=True):
        assert box[2] == pytest.approx(length * scale, abs=0.5), name
    # Left to right in storyboard order, each block starting where the one before ends.
    for before, after in zip(boxes, boxes[1:], strict=False):
        assert after[0] == pytest.approx(before[0] + before[2], abs=0.5)
    for values, clip in zip(clips, board.clips, strict=True):
        assert float(values["data-box"].split(",")[2]) == pytest.approx(clip.millis * scale, abs=0.5)
    # Every rendered clip plays inline from a relative link, for as long as the file lasts.
    videos = [values for tag, values in elements if tag == "video"]
    assert [values["src"] for values in videos] == [
        os.path.relpath(project.renders[clip.name].path, sheet.parent) for clip in board.clips
    ]
    for values, clip in zip(videos, board.clips, strict=True):
        assert "data-error" not in values
        assert float(values["data-duration"]) == pytest.approx(project.renders[clip.name].video_seconds, abs=0.05)

    screenshot = tmp_path / "preview.png"
    chromium(tmp_path, f"--screenshot={screenshot}", sheet.as_uri())
    if os.environ.get("STORYC_ARTIFACTS"):  # CI keeps the picture for people to look at
        os.makedirs(os.environ["STORYC_ARTIFACTS"], exist_ok=True)
        shutil.copy(screenshot, os.path.join(os.environ["STORYC_ARTIFACTS"], "preview.png"))
    from PIL import Image

    with Image.open(screenshot) as image:
        assert image.size == (1400, 1000)
        picture = image.convert("RGB")
        for index, values in enumerate(clips):
            left, top, width, _ = (float(part) for part in values["data-box"].split(","))
            colour = CLIP_COLOURS[index % len(CLIP_COLOURS)]
            expected_rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
            pixel = picture.getpixel((int(left + width - 4), int(top + 3)))  # the clip's label bar
            assert isinstance(pixel, tuple)
            assert max(abs(a - b) for a, b in zip(pixel, expected_rgb, strict=True)) <= 8, (values["data-clip"], pixel)


def test_preview_is_self_contained(project: Project, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.html"
    assert main(["preview", str(project.story), "-o", str(sheet)]) == 0
    text = sheet.read_text(encoding="utf-8")
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    # The prompt and the price of every clip are on the sheet.
    for clip in project.board.clips:
        assert f'id="clip-{clip.name}"' in text
        assert f"{clip.price.currency} {clip.price.amount:.2f}" in text
        first_line = clip.prompt.splitlines()[0].replace('"', "&#34;")
        assert first_line[:40] in text


def test_preview_of_a_storyboard_not_rendered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = REPOSITORY / "storyboards" / "lantern-thief" / "main.story"
    sheet = tmp_path / "lantern.html"
    assert main(["preview", str(story), "-o", str(sheet)]) == 0
    text = sheet.read_text(encoding="utf-8")
    board = load_board(str(story), catalog())
    assert text.count("not rendered yet") == len(board.clips) and "<video" not in text
    assert text.count('class="shot"') == sum(len(clip.shots) for clip in board.clips)
    assert "say vendor: “Careful, it&#39;s hot.”" in text
    assert main(["preview", str(tmp_path / "missing.story")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_preview_open_hands_the_sheet_to_the_browser(project: Project, tmp_path: Path) -> None:
    """The installed command in a real process; $BROWSER stands for the user's browser."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys\nopen({str(opened)!r}, 'w').write(sys.argv[1])\n", encoding="utf-8")
    sheet = tmp_path / "open.html"
    story = shutil.which("story", path=os.path.dirname(sys.executable))
    assert story is not None
    result = subprocess.run([story, "preview", str(project.story), "-o", str(sheet), "--open"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "BROWSER": f"{sys.executable} {browser} %s"})
    assert result.returncode == 0, result.stderr
    assert opened.read_text(encoding="utf-8") == sheet.resolve().as_uri()


# A vertical storyboard in Traditional Chinese, rendered, with a shot whose text cannot fit its block.
CHINESE = """\
storyboard "獵豹追逐"
model wan2.7-t2v
resolution 720P
ratio 9:16
language zh
seed 7

cast 獵豹: 一隻在草原上奔跑的獵豹

clip 追逐 3s
  shot 3s 全景
    @獵豹 在金色的草原上全速奔跑，塵土飛揚，遠處的羚羊驚慌失措地四散奔逃，夕陽把天空染成橘紅色，風吹過長草發出沙沙聲，一群飛鳥從樹梢驚起。
    獵豹漸漸逼近一隻落單的小羚羊，牠壓低身子，肌肉緊繃，下一刻便如離弦之箭般撲了出去，鏡頭緊跟著牠的腳步一路向前推進。
"""
GLYPHS = "獵豹追逐草原奔跑夕陽羚羊"
PROBE = """<div id="probe" style="position: fixed; left: 0; top: 0; z-index: 9; background: #fff; color: #000;
 font-size: 40px; line-height: 48px; font-weight: 400">{cells}</div>"""
CELL = 48


@pytest.fixture(scope="module")
def chinese(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("preview-zh") / "project", CHINESE, {"追逐": (180, 320, True, 30)})


def chinese_sheet(chinese: Project, tmp_path: Path) -> Path:
    sheet = chinese.story.parent / "out" / "zh.html"
    sheet.parent.mkdir(exist_ok=True)
    assert main(["preview", str(chinese.story), "-o", str(sheet)]) == 0
    return sheet


def test_preview_lang_is_the_storyboards_language(chinese: Project, project: Project, tmp_path: Path) -> None:
    first = chinese_sheet(chinese, tmp_path).read_bytes()
    assert '<html lang="zh-Hant">' in first.decode("utf-8")
    assert chinese_sheet(chinese, tmp_path).read_bytes() == first  # the embedded subset too: byte for byte
    assert main(["preview", str(project.story), "-o", str(tmp_path / "en.html")]) == 0
    english = (tmp_path / "en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "@font-face" not in english  # nothing to embed


def test_chinese_is_drawn_without_cjk_system_fonts(chinese: Project, tmp_path: Path) -> None:
    """Each character in a cell of its own, in the sheet's own font stack; a missing glyph is the
    same box for every character, so distinct characters must give distinct pictures."""
    from PIL import Image, ImageChops

    sheet = chinese_sheet(chinese, tmp_path)
    text = sheet.read_text(encoding="utf-8")
    cells = "".join(f'<span style="display: inline-block; width: {CELL}px; height: {CELL}px; overflow: hidden">'
                    f"{char}</span>" for char in GLYPHS)
    probed = sheet.with_name("probed.html")
    probed.write_text(text.replace("</body>", PROBE.format(cells=cells) + "</body>"), encoding="utf-8")
    screenshot = tmp_path / "glyphs.png"
    chromium(tmp_path, f"--screenshot={screenshot}", probed.as_uri())
    with Image.open(screenshot) as image:
        picture = image.convert("L").point(lambda value: 255 if value > 128 else 0)
    shapes = [picture.crop((index * CELL, 0, (index + 1) * CELL, CELL)) for index in range(len(GLYPHS))]
    assert all(ImageChops.invert(shape).getbbox() is not None for shape in shapes)  # something is drawn in each
    distinct = {shape.tobytes() for shape in shapes}
    assert len(distinct) == len(GLYPHS), f"{len(distinct)} distinct shapes for {len(GLYPHS)} characters"
    assert "font-src data:" in text and text.count("@font-face") == 1  # the packaged font, embedded


READ = """<script>
const link = document.querySelector('[data-shot] > a');
const before = [getComputedStyle(link).overflowY, link.scrollHeight, link.clientHeight];
window.focus();  // :focus styles apply only in a focused document (a loaded machine may not give it)
link.focus();
// Headless Chromium 156 gives the page no focus (document.hasFocus() is false), so `:focus` never
// matches there: then the style the sheet gives this link when focused is read from its rules.
const focused = [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
  .filter(rule => (rule.selectorText || '').split(',').some(selector =>
    selector.includes(':focus') && link.matches(selector.replace(':focus', '').trim())))
  .map(rule => rule.style.overflowY).find(value => value) || 'none';
const after = [document.hasFocus() ? getComputedStyle(link).overflowY : focused, link.scrollHeight, link.clientHeight];
document.body.setAttribute('data-read', JSON.stringify({before, after}));
const video = document.querySelector('video').getBoundingClientRect();
document.body.setAttribute('data-video', [video.width, video.height, innerHeight].join(','));
</script>"""


def test_clipped_block_text_can_be_read_and_vertical_players_fit_the_window(chinese: Project, tmp_path: Path) -> None:
    import json

    sheet = chinese_sheet(chinese, tmp_path)
    text = sheet.read_text(encoding="utf-8")
    (shot,) = chinese.board.clips[0].shots
    # The whole text is the block's title (a tooltip), and the block scrolls when focused or pointed at.
    assert shot.text[0] in html.unescape(re.search(r'<a href="#clip-[^"]*" title="([^"]*)"', text).group(1))  # type: ignore[union-attr]
    measured = sheet.with_name("read.html")
    measured.write_text(text.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
                        .replace("</body>", READ + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--virtual-time-budget=4000", "--dump-dom", measured.as_uri())
    body = re.search(r"<body[^>]*>", dom).group(0)  # type: ignore[union-attr]
    read = json.loads(html.unescape(re.search(r'data-read="([^"]*)"', body).group(1)))  # type: ignore[union-attr]
    assert read["before"][0] == "hidden" and read["before"][1] > read["before"][2]  # the text is clipped
    assert read["after"][0] == "auto"  # and scrolls once focused
    width, height, window = (float(part) for part in re.search(r'data-video="([^"]*)"', body).group(1).split(","))  # type: ignore[union-attr]
    assert height <= 0.7 * window + 1, (width, height, window)
    assert width / height == pytest.approx(9 / 16, abs=0.01)
