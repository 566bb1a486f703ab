"""The runner: cases in, verdicts out (see case_runner.py); summaries of verdicts."""

from verifier.runner.case_runner import (
    CaseOutcome,
    Toolkit,
    left_out_rows,
    planned_rows,
    real_toolkit,
    run_case,
    run_case_detailed,
    run_cases,
    select_backends,
)
from verifier.runner.summary import Summary, summarize
from verifier.runner.timeout import DEFAULT_TIMEOUT, CaseTimeout, time_limit

__all__ = ["CaseOutcome", "CaseTimeout", "DEFAULT_TIMEOUT", "Summary", "Toolkit", "left_out_rows",
           "planned_rows",
           "real_toolkit",
           "run_case", "run_case_detailed", "run_cases", "select_backends", "summarize",
           "time_limit"]
