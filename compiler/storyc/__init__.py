"""storyc: a storyboard language and compiler for AI video.

`STAGES` is the one statement of the pipeline's order: data flows from each room to the next, and a
module imports only from its own room or an earlier one (tests/test_architecture.py holds every
module to it, and to no import circle).
"""

__version__ = "0.1.0"

STAGES = ("base", "language", "models", "check", "compile", "emulator", "submit", "media", "lsp", "cli")
