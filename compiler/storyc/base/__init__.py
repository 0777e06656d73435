"""Shared leaves every stage uses: source text and spans, diagnostics and their codes, files on disk, data tables."""
