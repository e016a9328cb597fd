"""Entry point: ``python -m psychometrics <command> --help``."""

import sys

from .cli import main

sys.exit(main())
