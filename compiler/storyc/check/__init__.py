"""Stage 2, check: the rule context and the rules (limits, audio, framing, suggestions) that turn an AST into diagnostics."""
