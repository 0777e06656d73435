"""`python -m storyc.base.data [check]`: rewrite (or check) the marshal copy of the data files."""

import sys

from . import main

sys.exit(main(sys.argv[1:]))
