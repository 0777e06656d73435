"""The preview sheet's CJK font, so that Chinese never shows as empty boxes on a machine without
CJK fonts: the packaged Noto Sans CJK face for the storyboard's language (`fonts.json`), cut down
to the characters the sheet holds and embedded as a `data:` URL. The sheet still loads nothing.

Subsetting is deterministic (no timestamps are recomputed), so the same storyboard gives the same
sheet byte for byte.
"""

from __future__ import annotations

import base64
import io
import json
import os
from typing import Any

with open(os.path.join(os.path.dirname(__file__), "fonts.json"), encoding="utf-8") as _file:
    _DATA: dict[str, Any] = json.load(_file)
FAMILY: str = _DATA["family"]
_FIRST_CJK = 0x2E80  # CJK radicals onwards: what system-ui may lack; Latin and symbols stay with it


def _language(language: str) -> dict[str, Any]:
    languages: dict[str, Any] = _DATA["languages"]
    return dict(languages.get(language) or languages[_DATA["default"]])


def language_tag(language: str) -> str:
    """The HTML `lang` of a storyboard written in `language` (its `language` setting)."""
    return str(_language(language)["lang"])


def font_face(text: str, language: str) -> str:
    """A CSS `@font-face` for FAMILY holding the glyphs `text` needs beyond Latin, or "" when it
    needs none (or the font has none of them)."""
    wanted = sorted({char for char in text if ord(char) >= _FIRST_CJK})
    if not wanted:
        return ""
    import noto_cjk_sans_otc  # type: ignore[import-untyped]
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    font = TTFont(str(noto_cjk_sans_otc.FONT_PATH), fontNumber=int(_language(language)["face"]),
                  recalcTimestamp=False)
    if not set(map(ord, wanted)) & set(font.getBestCmap()):
        return ""
    options = subset.Options()
    options.layout_features = ["*"]  # vertical forms, punctuation widths
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(wanted))
    subsetter.subset(font)
    data = io.BytesIO()
    font.save(data)
    encoded = base64.b64encode(data.getvalue()).decode("ascii")
    return (f'@font-face {{ font-family: "{FAMILY}"; '
            f'src: url(data:font/otf;base64,{encoded}) format("opentype"); }}')
