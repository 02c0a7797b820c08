"""``python -m engql`` runs the command line."""

import sys

from engql.cli import main

sys.exit(main())
