"""The built-in templates run precompiled (no Jinja2 import); Jinja2 itself renders them the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from storygen import storyboard

from storyc.cli.common import storyboard_files
from storyc.compile import templating
from storyc.compile.emit import _fill, _jinja_environment, prompt_context, request_values
from storyc.compile.plan import plan
from storyc.language.load import load

ROOT = Path(__file__).resolve().parent.parent
STORIES = [Path(path) for path in storyboard_files([str(ROOT / "storyboards")])] + sorted((Path(__file__).parent / "golden-sources").glob("*.story"))


def test_the_generated_module_is_current() -> None:
    generated = Path(templating.GENERATED).read_text(encoding="utf-8")
    assert generated == templating.generated_module(), "stale: run python -m storyc.compile.templating"


def _both(path: Path) -> list[tuple[str, str]]:
    planned = plan(load(str(path)))
    if planned is None:
        return []
    builtin, jinja = templating.builtin(), _jinja_environment(None)
    pairs = []
    for clip_plan in planned.clips:
        context = prompt_context(planned, clip_plan)
        name = f"prompt-{context['clip']['language']}.j2"
        pairs.append((_fill(builtin, name, **context), _fill(jinja, name, **context)))
        body = f"body-{planned.profile_for(clip_plan).protocol}.json.j2"
        values = request_values(planned, clip_plan, pairs[-1][0].strip())
        pairs.append((_fill(builtin, body, request=values), _fill(jinja, body, request=values)))
    return pairs


@pytest.mark.parametrize("path", STORIES, ids=[p.stem for p in STORIES])
def test_precompiled_and_jinja_render_alike(path: Path) -> None:
    for ours, theirs in _both(path):
        assert ours == theirs


@settings(max_examples=60)
@given(text=storyboard())
def test_precompiled_and_jinja_render_alike_on_generated_storyboards(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("t") / "a.story"
    path.write_text(text, encoding="utf-8")
    for ours, theirs in _both(path):
        assert ours == theirs


def test_an_undefined_name_is_an_error_as_in_jinja() -> None:
    environment = templating.Environment({})
    with pytest.raises(templating.RenderError, match="'nothing' is undefined"):
        str(environment.getattr({}, "nothing"))


def test_a_changed_template_falls_back_to_jinja(tmp_path: Path) -> None:
    from storyc.compile._templates import COMPILED

    source, build = COMPILED["prompt-en.j2"]
    stale = templating.Environment({"prompt-en.j2": (source + "changed", build)})
    assert stale.root("prompt-en.j2") is None


def test_compile_does_not_import_jinja2_or_jsonschema(tmp_path: Path) -> None:
    story = tmp_path / "a.story"
    story.write_text("cast fox: a fox\nclip a 5s\n  shot 5s wide: @fox runs\n", encoding="utf-8")
    probe = (
        "import sys; from storyc.cli import main; "
        f"main(['compile', {str(story)!r}, '-o', {str(tmp_path / 'out')!r}]); main(['plan', {str(story)!r}]); "
        "print('\\nloaded:' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'jsonschema'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.rsplit("loaded:", 1)[1].strip() == ""
