"""The one registry of diagnostic codes.

Codes are grouped by stage: SB1xx reading and syntax, SB2xx names and structure, SB3xx model limits,
SB4xx audio. `docs/diagnostics.md` is generated from this table (`story explain --all --markdown`).
"""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    code: str
    name: str
    severity: str
    explanation: str


_TABLE = (
    Code("SB100", "invalid-utf8", "error",
         "The file is not valid UTF-8. Storyboards are UTF-8 text; re-save the file as UTF-8."),
    Code("SB101", "syntax-error", "error",
         "The line does not follow the grammar. The message names what was expected at that point."),
    Code("SB102", "bad-indentation", "error",
         "A line is indented to a depth that matches no enclosing block. Clip lines are indented "
         "once under `clip`, shot lines once more under `shot`; dedent to a depth used above."),
    Code("SB103", "control-character", "error",
         "The text holds a control character (such as NUL) that would be sent to the model. "
         "Delete it; it is usually left over from a copy and paste."),
    Code("SB104", "unreadable-file", "error",
         "The file could not be read (missing, a folder, or no permission)."),
    Code("SB201", "include-not-found", "error",
         "An `include` names a file that does not exist. Paths are relative to the including file."),
    Code("SB202", "include-cycle", "error",
         "Files include each other in a loop. Move the shared declarations into a file that "
         "includes nothing."),
    Code("SB203", "include-outside-root", "error",
         "An `include` points outside the storyboard's root folder (the folder holding the "
         "`story.toml` above the file, or else the file's own folder). Keep shared files inside "
         "it so the project stays self-contained in version control."),
    Code("SB204", "include-has-clips", "warning",
         "An included file defines clips. Only its settings-free declarations (cast, places, "
         "styles) are pulled in; its clips are ignored."),
    Code("SB205", "undeclared-name", "error",
         "`@name` refers to nothing declared with `cast`, `place` or `style` in this file or its "
         "includes."),
    Code("SB206", "unused-declaration", "warning",
         "A cast member, place or style is declared but never referenced with `@name` or as a "
         "speaker."),
    Code("SB207", "duplicate-declaration", "error",
         "Two declarations share a name; references would be ambiguous."),
    Code("SB208", "duplicate-clip", "error",
         "Two clips or scenes share a name; output files and the render journal are keyed by it."),
    Code("SB209", "duplicate-setting", "error",
         "A setting is given twice; only one value can apply."),
    Code("SB210", "unknown-speaker", "error",
         "A `say` or `voiceover` line names a speaker that is not a declared `cast` member."),
    Code("SB211", "unknown-framing", "error",
         "The shot's framing is not one of the known framings (see `docs/language.md`)."),
    Code("SB212", "empty-clip", "error",
         "A clip has no prose and no shots, so there is nothing to generate."),
    Code("SB213", "invalid-setting", "error",
         "A setting's value is not of the expected kind (for example `watermark` takes `on` or "
         "`off`, `seed` a whole number)."),
    Code("SB214", "speaker-not-cast", "error",
         "A dialogue speaker is declared, but as a place or style rather than a cast member."),
)

CODES: dict[str, Code] = {entry.code: entry for entry in _TABLE}


def lookup(code: str) -> Code:
    return CODES[code]
