"""``python -m app`` starts the terminal."""

import sys

from app.cli import main

sys.exit(main())
