"""`story lsp`: the language server editors start (on standard input and output)."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, Command, catalog, profiles_option


def define(lsp: argparse.ArgumentParser) -> None:
    lsp.add_argument("--stdio", action="store_true",
                     help="talk LSP on standard input and output (the default and only transport)")
    profiles_option(lsp)
    lsp.set_defaults(run=run)


COMMANDS = {"lsp": Command(
    "run the language server editors talk to",
    "Serve the Language Server Protocol on standard input and output: live diagnostics (as `story "
    "check`), formatting (as `story fmt`), hover, inlay hints, completion, go-to-definition, references, "
    "rename, outline, folding and quick fixes. See docs/editors.md.",
    define,
)}


def run(options: argparse.Namespace) -> int:
    from ..lsp.server import serve

    serve(catalog(options))
    return EXIT_OK
