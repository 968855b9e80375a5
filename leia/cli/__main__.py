"""``python -m leia.cli``: the ``leia`` command."""

import sys

from leia.cli import main

sys.exit(main())
