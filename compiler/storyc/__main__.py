"""`python -m storyc` is the `story` command."""

import sys

from .cli import main

sys.exit(main())
