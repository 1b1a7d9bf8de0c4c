"""`python -m repo_server` runs the command line interface."""

import sys

from repo_server.cli import main

sys.exit(main())
