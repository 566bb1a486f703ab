"""`python -m verifier ...`: the same as the `verifier` console script."""

import sys

from verifier.cli import main

sys.exit(main())
