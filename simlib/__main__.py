"""`python -m simlib` runs the command line."""

import sys

from simlib.cli import main

sys.exit(main())
