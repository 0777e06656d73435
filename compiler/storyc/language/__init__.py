"""Stage 1, the language: source text to a typed AST with spans (grammar driver, syntax errors, includes, formatter, names, settings, timeline)."""
