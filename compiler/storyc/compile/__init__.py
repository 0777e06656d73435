"""Stage 3, compile: the plan of requests, prompts and bodies from templates, schemas, prices, output names, the `--curl` script."""
