"""`--timeout S`: the time limit of one case, validated as the command line is parsed.

0 disables the limit; otherwise a finite number of seconds greater than 0 and at
most MAX_TIMEOUT_SECONDS (a week: the alarm behind it can't be set much further).
`inf`, `nan` and negative numbers are command-line errors (exit 2), never a silent
"no limit" or an error on every row.
"""

from __future__ import annotations

import argparse
import math

from verifier.limits import MAX_TIMEOUT_SECONDS


def timeout_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if value == 0:
        return 0.0
    if not math.isfinite(value) or value < 0 or value > MAX_TIMEOUT_SECONDS:
        raise argparse.ArgumentTypeError(
            f"expected seconds greater than 0 and at most {MAX_TIMEOUT_SECONDS:g} (a week), or 0 for "
            f"no limit; got {text!r}")
    return value
