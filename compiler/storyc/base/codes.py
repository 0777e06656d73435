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
         "The line does not follow the grammar. The message names what was expected at that point. "
         "Every syntax error in a file is reported in one run: the broken line and the lines indented "
         "under it are skipped, and the rest of the file is read and checked (after 20 errors, the "
         "rest is skipped). Keywords are lowercase; a value that opens a `\"` must close it."),
    Code("SB102", "bad-indentation", "error",
         "A line is indented to a depth that matches no enclosing block. Clip lines are indented "
         "once under `clip`, shot lines once more under `shot`; dedent to a depth used above. A tab "
         "counts as 8 columns and a space as one: indent a block with one or the other throughout."),
    Code("SB103", "control-character", "error",
         "The text holds a control character (such as NUL) that would be sent to the model. "
         "Delete it; it is usually left over from a copy and paste."),
    Code("SB104", "unreadable-file", "error",
         "The file could not be read: it is missing, a folder, a FIFO, socket or device, larger "
         "than 64 MB, not readable with your permissions, or a symlink that leads outside the "
         "project folder. A folder that cannot be listed is reported the same way."),
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
         "An included file holds settings or clips. Only its declarations (cast, places, styles) "
         "are pulled in; the rest is ignored."),
    Code("SB205", "undeclared-name", "error",
         "`@name` refers to nothing declared with `cast`, `place` or `style` in this file or its "
         "includes. After `@`, letters and digits of any script are read up to a space or punctuation "
         "mark, and the reference is the longest declared name that text starts with (`@獵豹追著羚羊` "
         "is `獵豹`); the message shows the text read."),
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
    Code("SB220", "setting-after-shot", "error",
         "A clip's own settings (lines such as `model wan2.6-t2v` or `seed 7` under the clip line) "
         "come before its first shot, so that they read as applying to the whole clip."),
    Code("SB221", "misspelled-label", "warning",
         "A line of prose starts with `word:` where the word is a slip away from a label such as "
         "`camera:`, `sfx:`, `music:`, `ambience:` or `soundtrack:`; it would reach the model as "
         "prose. The fix writes the label."),
    Code("SB301", "duration-not-accepted", "error",
         "The clip's length is one the model does not generate (wan2.7 and wan2.6: 2-15 s; "
         "wan2.6-us and wan2.5: 5 or 10 s; wan2.2 and wan2.1: always 5 s)."),
    Code("SB302", "shots-do-not-add-up", "error",
         "The shots' durations add up to something other than the clip's stated duration."),
    Code("SB303", "time-ranges-not-contiguous", "error",
         "Explicit shot ranges `[a-b s]` must start at 0, follow each other without gaps or "
         "overlaps, and end after they start."),
    Code("SB304", "shot-too-short", "error",
         "A shot lasts less than one second; the model cannot cut that fast."),
    Code("SB305", "duration-not-whole", "error",
         "The API takes clip durations in whole seconds; the shots add up to a fraction."),
    Code("SB306", "multi-shot-unsupported", "error",
         "The model generates a single shot per clip (wan2.5 and older). Give each shot its own "
         "clip, or use a wan2.6 or wan2.7 model."),
    Code("SB307", "prompt-extend-overridden", "warning",
         "On models that take `shot_type`, a multi-shot clip (several shots, or `shot-mode multi`) "
         "needs `prompt_extend: true`; the compiler sends it whatever the file says."),
    Code("SB308", "resolution-not-offered", "error",
         "The model does not offer this resolution tier (for example, there is no 480P on wan2.7)."),
    Code("SB309", "ratio-not-offered", "error",
         "The model does not offer this aspect ratio at this resolution."),
    Code("SB310", "size-not-offered", "error",
         "The model does not generate this pixel size. Legacy models take exact `width*height` "
         "sizes from a fixed list; 4:3 sizes differ between protocols (1088*832 legacy, 1104*832 "
         "wan2.7)."),
    Code("SB311", "size-on-ratio-model", "error",
         "wan2.7 models take `resolution` and `ratio`, not `size`."),
    Code("SB312", "ratio-on-size-model", "error",
         "Legacy models (wan2.6 and older) take an exact `size`, not `ratio`."),
    Code("SB313", "prompt-too-long", "error",
         "The rendered prompt is longer than the model reads; the service would silently cut the "
         "end off. Shorten the prose or split the clip."),
    Code("SB314", "negative-prompt-too-long", "error",
         "The negative prompt is longer than the model reads (500 characters); the service would "
         "silently cut it."),
    Code("SB315", "unknown-model", "error",
         "No profile describes this model id. `story models` lists the known ones; a profile "
         "folder (`--profiles`) can add more."),
    Code("SB316", "seed-out-of-range", "error",
         "The seed is outside the range the model accepts (0 to 2147483647)."),
    Code("SB317", "shot-longer-than-any-clip", "error",
         "A shot in a scene is longer than the longest clip the model generates, so no split can "
         "hold it."),
    Code("SB318", "dialogue-too-fast", "warning",
         "The dialogue cannot be spoken in its shot at a natural pace (more than 3 English words "
         "or 5 CJK characters a second)."),
    Code("SB319", "scene-cannot-split", "error",
         "No run of the scene's shots, starting here, adds up to a length the model generates, so "
         "the scene cannot be split into clips at shot boundaries."),
    Code("SB320", "model-not-in-region", "error",
         "The model is not offered in the region the storyboard resolves to, so the service would "
         "refuse it. The region is the `region` setting, else `--region`, else $DASHSCOPE_REGION, "
         "else singapore; `story models` lists where each model is offered."),
    Code("SB321", "model-id-for-region", "warning",
         "The model goes by another id in the resolved region (`wanx2.1-*` in Beijing is "
         "`wan2.1-*` in Singapore); the region's id is sent. The fix writes that id."),
    Code("SB330", "resolution-overridden-by-size", "error",
         "On a model that takes an exact `size` (wan2.6 and older), `resolution` only picks a size "
         "when none is given. Beside a `size` of another tier it is ignored: the size is sent and "
         "priced. Remove the `resolution`, or write the size of the tier you want (the fix offers it)."),
    Code("SB331", "shot-mode-overridden", "warning",
         "On models that take `shot_type` (wan2.6), a clip of several shots is always sent as "
         "`shot_type: multi`, so `shot-mode single` has no effect on it. Write `shot-mode multi` or "
         "`auto`, or give each shot its own clip."),
    Code("SB332", "shot-mode-not-supported", "warning",
         "`shot-mode multi` is beside a model that generates one shot per clip (wan2.5 and older), "
         "which has no `shot_type` and no multi-shot prompt: the setting is not sent. Remove it, or "
         "use a wan2.6 or wan2.7 model."),
    Code("SB401", "audio-not-supported", "error",
         "The model makes silent video and takes no audio file (wan2.2 and wan2.1)."),
    Code("SB402", "audio-format", "error",
         "The soundtrack is not a format the model takes (wav or mp3)."),
    Code("SB403", "audio-duration", "error",
         "The soundtrack's length is outside what the model takes (3-30 s; 2-30 s on wan2.7)."),
    Code("SB404", "audio-very-short", "warning",
         "The soundtrack is shorter than 3 s. wan2.7's reference accepts 2 s, other sources say "
         "3 s; lengthen it to be safe."),
    Code("SB405", "audio-too-large", "error",
         "The soundtrack file is larger than the model takes (15 MB)."),
    Code("SB406", "audio-url-scheme", "error",
         "A soundtrack URL must be http or https (or a local file path)."),
    Code("SB407", "audio-shorter-than-clip", "warning",
         "The soundtrack ends before the clip does; the rest of the video is silent."),
    Code("SB408", "audio-longer-than-clip", "warning",
         "The soundtrack is longer than the clip; the service keeps only the first part."),
    Code("SB409", "audio-file-missing", "error",
         "The soundtrack file does not exist. Paths are relative to the storyboard file."),
    Code("SB410", "audio-unreadable", "error",
         "The soundtrack file could not be read as audio, so its length is unknown."),
    Code("SB411", "audio-twice", "error",
         "A clip takes one soundtrack."),
    Code("SB412", "audio-in-scene", "error",
         "A scene is split into several clips, so one soundtrack cannot follow it. Give the "
         "soundtrack to a `clip`."),
    Code("SB413", "audio-outside-project", "error",
         "A local soundtrack lies outside the project folder (the folder holding `story.toml`, or "
         "else the storyboard's own), once symlinks are followed. Copy the audio into the project: "
         "a storyboard must not upload files from elsewhere on the machine."),
    Code("SB420", "character-not-text", "error",
         "A noncharacter (U+FFFE, U+FFFF, U+FDD0-U+FDEF, ...) or a C1 control character. It is not "
         "text: XML 1.0 cannot hold U+FFFE or U+FFFF, so `story export --to fcpxml|fcp7` could not "
         "write it, and the service would read it as noise. The fix deletes it."),
    Code("SB421", "line-break-in-line", "warning",
         "NEXT LINE (U+0085), LINE SEPARATOR (U+2028) or PARAGRAPH SEPARATOR (U+2029) inside a "
         "line, usually pasted from a word processor. A storyboard line is one line; the animatic's "
         "cards draw it as a space. The fix makes it a space."),
    Code("SB501", "template-error", "error",
         "A prompt or body template failed: a missing variable, a syntax error, a body that is "
         "not the API's JSON, or (in a project template) an attempt to reach outside the context."),
    # SB6xx: media inputs (pictures, clips and voices), wan-media-api.md §3-§10.
    Code("SB600", "media-not-taken", "error",
         "The clip sends a kind of input its model never takes: a first frame to a text-to-video model, "
         "a last frame to a first-frame-only model, driving audio to a silent one. `story models` lists "
         "what each model takes; choose one that takes it, or remove the line."),
    Code("SB601", "media-combination", "error",
         "The clip's inputs are not a combination its model takes. wan2.7-i2v takes a first frame "
         "(with optional last frame and driving audio) or a first clip (with an optional last frame), each "
         "once; a last frame alone, or a first clip with a first frame or audio, is refused (§3.2)."),
    Code("SB602", "media-required", "error",
         "The model makes video only from media inputs: an image-to-video model needs a `first-frame:`, a "
         "reference-to-video model needs at least one mentioned cast member or place with an `image:` or "
         "`video:` (a first frame alone is accepted and then fails once queued)."),
    Code("SB603", "too-many-references", "error",
         "The clip sends more references than the model takes (wan2.7-r2v and wan2.6-r2v: images and videos "
         "together at most 5). Every picture and clip of every cast member and place the clip mentions "
         "counts, in the order the clip first mentions them; the diagnostic points at the mention that "
         "overflows. Mention fewer, or give them fewer pictures."),
    Code("SB604", "too-many-of-a-kind", "error",
         "The clip sends more inputs of one kind than the model takes: Wan 3.0 takes at most 10 reference "
         "images, 5 reference videos and 5 reference audio files; wan2.6-r2v at most 3 videos."),
    Code("SB605", "frames-and-references", "error",
         "Wan 3.0 takes either frames (a first frame, or a first and a last frame) or references (pictures, "
         "clips, audio of what the clip mentions), never both in one request. The service accepts such a "
         "task and fails it only after it is queued (InvalidParameter, 'The two modes are mutually "
         "exclusive'); storyc refuses it before. Drop the frames, or mention no one with reference media."),
    Code("SB606", "shared-reference", "error",
         "The same file is a reference of two declarations. The model reads each reference as one subject; "
         "give each cast member or place its own picture."),
    Code("SB607", "media-not-found", "error",
         "A local media file does not exist. Paths are relative to the file the line is written in."),
    Code("SB608", "media-outside-project", "error",
         "A local media file lies outside the project folder (the folder holding `story.toml`, or else "
         "the storyboard's own), once symlinks are followed. Copy it into the project: a storyboard must "
         "not upload files from elsewhere on the machine."),
    Code("SB609", "media-format", "error",
         "The file's format is not one the model takes for that input: pictures JPEG, PNG, BMP or WEBP; "
         "clips MP4 or MOV; audio WAV or MP3."),
    Code("SB610", "media-too-large", "error",
         "The file is larger than the model takes for that input (pictures 20 MB, or 10 MB on older "
         "models; clips 100 MB; audio 15 MB)."),
    Code("SB611", "media-pixels", "error",
         "A picture or clip is too small or too large in pixels, too far from square (more than 8:1), or a "
         "picture has transparency. Pictures: each side 240-8000 pixels (5000 on wan2.6-r2v); clips 240-4096. "
         "storyc reads the file's header to tell."),
    Code("SB612", "media-length", "error",
         "Audio or a clip is shorter or longer than the model takes for that input (driving audio 2-30 s, "
         "a voice 1-10 s, a first clip 2-10 s, a reference video 1-30 s; on Wan 3.0 reference videos and "
         "audio 1-15 s each and 15 s together, videos at 16 fps or more). storyc measures the file."),
    Code("SB613", "media-unreadable", "error",
         "The file cannot be read as the picture, clip or audio its line says it is: it is damaged, or its "
         "extension does not match what it holds. Re-export it."),
    Code("SB614", "edit-words-with-references", "warning",
         "A clip that sends references (and no reference video) describes an edit or an extension "
         "(`replace`, `extend`, 替换, 延长 …). The service then treats the task as a video edit, which needs a "
         "video, and fails it late. Describe what happens instead."),
    Code("SB615", "media-duration", "error",
         "The clip's length is outside what its inputs allow: wan2.7-r2v makes 2-10 s when a reference "
         "video is sent (else 2-15 s); on Wan 3.0 reference videos and the output add up to 30 s at most; a "
         "continuation (`first-clip:`) counts the first clip in its duration, so the clip must be longer."),
    Code("SB616", "media-scheme", "error",
         "Media are local paths (uploaded for you) or http(s) URLs; other schemes are not supported."),
    Code("SB617", "voice-not-sent", "warning",
         "A mentioned cast member has a `voice:` the clip's model cannot carry: the model takes no voices "
         "(wan2.6-r2v), or on wan2.7-r2v the voice rides on a picture or clip of the same member and it "
         "has none. The clip is made without that voice."),
    Code("SB618", "ratio-ignored", "warning",
         "`ratio` has no effect here: wan2.7-i2v and the older image-to-video models follow the first "
         "frame's shape, and wan2.7-r2v ignores `ratio` when a first frame is sent. Crop the frame instead."),
    Code("SB619", "media-in-scene", "error",
         "A scene is split into several clips, so a last frame, driving audio or a first clip cannot follow "
         "it. Give them to a `clip`. A scene takes a first frame or `continue`: its first part starts on it "
         "and each later part on the last frame of the part before."),
    Code("SB620", "media-on-style", "error",
         "A style declaration carries media. Reference pictures, clips and voices belong to a `cast` "
         "member or a `place`."),
    Code("SB650", "continue-cycle", "error",
         "Clips that continue from each other in a circle: each would start on the last frame of a clip "
         "that cannot exist before it. Remove one `continue` of the cycle."),
    Code("SB651", "continue-missing-clip", "error",
         "`continue NAME` names no clip of this storyboard. A clip continues from a clip written in the "
         "same file (included files hold declarations only)."),
    Code("SB652", "continue-chain-long", "warning",
         "A chain of continuing clips longer than storyc's bound (5 clips, `base/data/settings.json`): "
         "each clip starts from a frame decoded from the one before, re-encoded by the model, so the "
         "picture softens along the chain. Start a new chain with a clip that does not continue."),
    Code("SB653", "continue-needs-first-frame", "error",
         "The clip's model takes no first frame (a text-to-video model), so it cannot start on another "
         "clip's last frame. Use an image-to-video model whose profile lists `first_frame` in "
         "`media.roles`, or remove `continue`."),
    Code("SB654", "continue-clip-unsupported", "error",
         "`continue NAME clip` asks the model to continue clip NAME's video itself, which only some models "
         "do (`media.continue_clip` in the profile: wan2.7-i2v through `first_clip`, Wan 3.0 through a "
         "`reference_video` extension), and never a scene, whose parts chain by frame. Continue from the "
         "last frame instead (`continue NAME`)."),
    Code("SB655", "continue-clip-length", "error",
         "The clip continued by `continue NAME clip` is longer or shorter than the model takes as an input "
         "clip (wan2.7-i2v: 2-10 s; Wan 3.0: 1-15 s). Change its length, or continue from its last frame."),
    Code("SB660", "takes-out-of-range", "error",
         "`takes` asks for a number of takes outside what storyc renders (1 to 10, "
         "`base/data/settings.json`). Each take is a request of its own, paid in full: ask for fewer, "
         "and render more later (the takes already made are kept)."),
)

CODES: dict[str, Code] = {entry.code: entry for entry in _TABLE}


def lookup(code: str) -> Code:
    return CODES[code]
