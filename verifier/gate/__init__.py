"""CI gating: holding a run against a stored baseline of errors, and the `run` options for it."""
