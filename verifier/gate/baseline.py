"""Holding a run against a baseline: an earlier JSON report of the same suite.

A baseline is the contract's `--json` report (`{"summary": ..., "results": [...]}`).
Rows are matched by (case, backend, dtype); the case file is not part of the key, so
moving a case to another file is not a regression.

What counts as a regression (each one makes `verifier run --baseline` exit 1):
  * vanished:      a row of the baseline is missing from the run;
  * now fails:     a row that was not failing (any status but fail/error) is fail or error,
                   including a row that is new since the baseline;
  * no longer passes: a row that passed (pass/xpass) is now skip or xfail;
  * error grew:    a row that passes before and after has
                   max_ulp_err > ULP_GROWTH_FACTOR * before + ULP_SLACK.
The factor and the slack absorb the few-ULP changes that a different summation order
or another CPU's SIMD width produce, while a real loss of accuracy (a cancelling
formula, a float32 accumulator) is typically orders of magnitude.

Finite differences (backend `fd`) are gated on pass/fail only: their error is their own
truncation error (of order h^2 times the third derivative), not rounding, so ULP counts
say nothing about a regression of the code under test.

Improvements (reported, never failing): a row that now passes and did not; an error
that shrank by the same margin (before > ULP_GROWTH_FACTOR * after + ULP_SLACK); a new
row that passes.

Times are never compared: they are not even written to a baseline.
Reading one, which is untrusted input, is baseline_reader.py's job.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from verifier.gate.baseline_reader import BaselineError, read_baseline  # noqa: F401 - re-exported
from verifier.report.escape import printable
from verifier.report.files import write_atomically
from verifier.report.json_report import result_row
from verifier.runner.summary import summarize
from verifier.verdict import Verdict

ULP_GROWTH_FACTOR = 2.0
ULP_SLACK = 4.0

FAILING = frozenset({"fail", "error"})
PASSING = frozenset({"pass", "xpass"})
# Backends whose error is not rounding, whose ULP figures are not gated (see the module doc).
NOT_ULP_GATED = frozenset({"fd"})



@dataclass(frozen=True)
class Change:
    """One row that differs in a way the gate cares about."""
    case: str
    backend: str
    dtype: str
    before: str  # e.g. 'pass (3 ulp)', or '-' where the row did not exist
    after: str
    why: str


@dataclass
class Comparison:
    regressions: list[Change]
    improvements: list[Change]
    compared: int  # rows present in both

    @property
    def ok(self) -> bool:
        return not self.regressions


def report_dict(verdicts: list[Verdict]) -> dict:
    """The `--json` report of a run, less what differs between identical runs (times).

    Same rows as `--json` (so either file can serve as a baseline), without
    `seconds`, so a baseline in git changes only when a result does.
    """
    rows = []
    for v in verdicts:
        row = result_row(v)
        row.pop("seconds", None)
        rows.append(row)
    return {"summary": summarize(verdicts).to_json(), "results": rows}


def write_baseline(path: str | os.PathLike, verdicts: list[Verdict],
                   case_digests: dict[str, str] | None = None) -> None:
    """Write the baseline atomically (temporary file beside it, then os.replace).

    One result per line, keys sorted: a change of results is a diff of those lines.
    `case_digests` ({name: digest}, verifier/gate/renames.py) lets a later gate say
    "renamed?" of a case that vanished under one name and appeared under another.
    """
    report = report_dict(verdicts)
    rows = [json.dumps(row, sort_keys=True, allow_nan=False) for row in report["results"]]
    summary = json.dumps(report["summary"], sort_keys=True)
    digests = ""
    if case_digests:
        lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(case_digests.items())]
        digests = ',\n "case_digests": {\n' + ",\n".join(lines) + "\n }"
    text = f'{{"summary": {summary},\n "results": [\n  ' + ",\n  ".join(rows) + f"\n]{digests}}}\n"
    write_atomically(path, text)


def compare(before: list[Verdict], after: list[Verdict], *, factor: float = ULP_GROWTH_FACTOR,
            slack: float = ULP_SLACK) -> Comparison:
    """The regressions and improvements of `after` against `before` (see the module doc)."""
    old = {v.key: v for v in before}
    new = {v.key: v for v in after}
    regressions: list[Change] = []
    improvements: list[Change] = []

    def change(key, was, now, why):
        return Change(*key, _cell(was), _cell(now), why)

    for key, was in old.items():
        now = new.get(key)
        if now is None:
            regressions.append(change(key, was, None, "vanished"))
        elif now.status in FAILING and was.status not in FAILING:
            regressions.append(change(key, was, now, f"now {now.status}s" if now.status == "fail"
                                      else "now errors"))
        elif was.status in PASSING and now.status not in PASSING:
            regressions.append(change(key, was, now, f"no longer passes ({now.status})"))
        elif was.status in PASSING and now.status in PASSING and _grew(was, now, factor, slack):
            regressions.append(change(key, was, now,
                                      f"ULP error grew past {factor:g}x before + {slack:g}"))
        elif was.status not in PASSING and now.status in PASSING:
            improvements.append(change(key, was, now, "now passes"))
        elif was.status in PASSING and now.status in PASSING and _grew(now, was, factor, slack):
            improvements.append(change(key, was, now, "ULP error shrank"))
    for key, now in new.items():
        if key in old:
            continue
        if now.status in FAILING:
            regressions.append(change(key, None, now, f"new row, {now.status}"))
        elif now.status in PASSING:
            improvements.append(change(key, None, now, "new row, passes"))
    compared = len(old.keys() & new.keys())
    return Comparison(regressions, improvements, compared)


def _grew(was: Verdict, now: Verdict, factor: float, slack: float) -> bool:
    if was.backend in NOT_ULP_GATED:
        return False
    if was.max_ulp_err is None or now.max_ulp_err is None:
        return False  # the oracle's rows (exact) and rows without a ULP figure
    return now.max_ulp_err > factor * was.max_ulp_err + slack


def _cell(v: Verdict | None) -> str:
    if v is None:
        return "-"
    if v.max_ulp_err is None:
        return v.status
    return f"{v.status} ({v.max_ulp_err:.3g} ulp)"


def format_changes(title: str, changes: list[Change]) -> str:
    """A plain-text table: case, backend, dtype, before, after, why."""
    header = ("case", "backend", "dtype", "before", "after", "why")
    rows = [header] + [tuple(printable(cell, one_line=True) for cell in
                             (c.case, c.backend, c.dtype, c.before, c.after, c.why)) for c in changes]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"{title} ({len(changes)}):"]
    for j, r in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        if j == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_comparison(comparison: Comparison, baseline: str | os.PathLike) -> str:
    parts = []
    if comparison.regressions:
        parts.append(format_changes(f"Regressions against {baseline}", comparison.regressions))
    if comparison.improvements:
        parts.append(format_changes(f"Improvements against {baseline}", comparison.improvements))
    verdict = "FAILED" if comparison.regressions else "ok"
    parts.append(f"baseline {baseline}: {verdict}: {len(comparison.regressions)} regression(s), "
                 f"{len(comparison.improvements)} improvement(s), {comparison.compared} row(s) compared")
    return "\n".join(parts)
