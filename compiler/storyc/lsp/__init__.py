"""`story lsp`: a language server on stdio, a thin pygls adapter over parse, check, fmt and plan.

`analysis` runs a buffer through the stages; `positions` converts offsets for the negotiated encoding;
`edits` (diagnostics, formatting, code actions), `navigate` (names, outline, folding) and `assist`
(hover, inlay hints, completion) answer the requests; `server` wires them to pygls.
"""
