"""The JSON report (`--json FILE`), exactly the contract's shape plus a few extra keys.

{"summary": {passed, failed, errors, skipped, xfailed, xpassed},
 "results": [{case, file, backend, dtype, status, max_abs_err, max_rel_err, message,
              max_ulp_err, blame, diverged, seconds, undefined, undefined_elements}],
 "problems": ["FILE:LINE: case NAME: what is wrong", ...], "seconds": T}

Errors that are NaN or infinite are written as null (JSON has no NaN); the
message says what happened.
"""

from __future__ import annotations

import json
import math

from verifier.report.files import write_atomically
from verifier.runner.summary import Summary
from verifier.verdict import Verdict


def _number(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def result_row(v: Verdict) -> dict:
    return {"case": v.case, "file": v.file, "backend": v.backend, "dtype": v.dtype,
            "status": v.status, "max_abs_err": _number(v.max_abs_err),
            "max_rel_err": _number(v.max_rel_err), "message": v.message,
            "max_ulp_err": _number(v.max_ulp_err), "blame": v.blame,
            "diverged": bool(v.diverged), "seconds": _number(v.seconds),
            # elements where no derivative exists, named and counted (CI sums the counts)
            "undefined": list(v.undefined), "undefined_elements": int(v.undefined_elements)}


def build_report(verdicts: list[Verdict], summary: Summary, problems=(),
                 seconds: float | None = None) -> dict:
    return {"summary": summary.to_json(),
            "results": [result_row(v) for v in verdicts],
            "problems": [str(p) for p in problems],
            "seconds": _number(seconds)}


def write_json(path, verdicts: list[Verdict], summary: Summary, problems=(),
               seconds: float | None = None) -> None:
    report = build_report(verdicts, summary, problems, seconds)
    write_atomically(path, json.dumps(report, indent=1, allow_nan=False) + "\n")
