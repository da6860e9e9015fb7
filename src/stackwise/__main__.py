"""`python -m stackwise` runs the command line."""

import sys

from stackwise.cli import main

sys.exit(main())
