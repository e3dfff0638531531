"""``python -m b2m.cli``."""

import sys

from b2m.cli import main

if __name__ == "__main__":
    sys.exit(main())
