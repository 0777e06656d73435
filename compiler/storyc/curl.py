"""`story compile --curl`: ready-to-run curl commands for the compiled requests.

The key is never written out: the commands read `$DASHSCOPE_API_KEY` when they run.
"""

from __future__ import annotations

import json
from typing import Iterable, Union

from . import data
from .render import Compiled

CREATE_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"


def regions() -> dict[str, Union[str, None]]:
    table: dict[str, Union[str, None]] = data.table("regions")
    return table


def base_url(region: Union[str, None]) -> str:
    table = regions()
    chosen = region or str(table["default"])
    url = table.get(chosen)
    return f"${{DASHSCOPE_BASE_URL:-{url}}}" if url else "${DASHSCOPE_BASE_URL:?set it to your workspace endpoint}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl_commands(results: Iterable[Compiled]) -> str:
    out: list[str] = []
    for compiled in results:
        base = base_url(compiled.region)
        for clip in compiled.clips:
            body = json.dumps(clip.body, ensure_ascii=False, separators=(",", ":"))
            out.append(f"# {clip.name}")
            audio = clip.body["input"].get("audio_url", "")
            if audio.startswith("file://"):
                out.append(f"# {audio[7:]} is a local file: upload it first (see docs) and put its URL in audio_url")
            out.append(
                f'curl --fail-with-body -sS "{base}{CREATE_PATH}" \\\n'
                f'  -H "Authorization: Bearer $DASHSCOPE_API_KEY" \\\n'
                f"  -H 'Content-Type: application/json' \\\n"
                f"  -H 'X-DashScope-Async: enable' \\\n"
                f"  -d {_quote(body)}"
            )
            out.append("")
    return "\n".join(out)
