"""Comparing numeric runs with the exact oracle: errors, tolerances, verdicts, blame."""
